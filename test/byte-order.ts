import t from 'tap'
import { byUtf8Bytes } from '../src/byte-order.js'

t.test("names in UTF-8 byte order, as Ruby's Array#sort orders them", async (t) => {
  const names = ['😀.yml', 'ｚ.yml', 'b.yml', 'a.yml', 'B.yml', '9-b.yml', '10-a.yml', 'é.yml']
  t.same(names.toSorted(byUtf8Bytes), ['10-a.yml', '9-b.yml', 'B.yml', 'a.yml', 'b.yml', 'é.yml', 'ｚ.yml', '😀.yml'])
  t.equal(byUtf8Bytes('a.yml', 'a.yml'), 0)
  t.ok(byUtf8Bytes('ｚ', '😀') < 0, 'a full-width letter before an emoji, though its UTF-16 unit is larger')
})
