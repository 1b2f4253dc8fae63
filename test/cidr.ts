import t from 'tap'
import { cidrHost, cidrNetmask, cidrsOverlap, formatCidr, hasHostBits, parseCidr } from '../src/cidr.js'

t.test('parses IPv4 and IPv6', async (t) => {
  t.match(parseCidr('10.96.0.0/12'), { family: 4, prefix: 12, bits: 32 })
  t.match(parseCidr('fd00:10:96::/108'), { family: 6, prefix: 108, bits: 128 })
  t.equal(formatCidr(parseCidr('fd00:0:0:0::/64')), 'fd00::/64')
  t.equal(formatCidr(parseCidr('::ffff:10.0.0.0/120')), '::ffff:a00:0/120')
})

t.test('rejects what is not a CIDR', async (t) => {
  for (const bad of ['10.0.0.0', '10.0.0.256/8', '10.0.0.0/33', 'fd00::/129', 'nope/8', '']) {
    t.throws(() => parseCidr(bad), undefined, bad)
  }
})

t.test('host bits', async (t) => {
  t.equal(hasHostBits(parseCidr('10.96.0.1/12')), true)
  t.equal(hasHostBits(parseCidr('10.96.0.0/12')), false)
})

t.test('cidrHost, netmask', async (t) => {
  t.equal(cidrHost(parseCidr('10.96.0.0/12'), 10), '10.96.0.10')
  t.equal(cidrHost(parseCidr('10.96.0.0/12'), -1), '10.111.255.255')
  t.equal(cidrHost(parseCidr('fd00:10:96::/108'), 10), 'fd00:10:96::a')
  t.throws(() => cidrHost(parseCidr('10.0.0.0/30'), 4), RangeError)
  t.equal(cidrNetmask(parseCidr('10.96.0.0/12')), '255.240.0.0')
  t.equal(cidrNetmask(parseCidr('fd00::/64')), 'ffff:ffff:ffff:ffff::')
})

t.test('overlap', async (t) => {
  t.equal(cidrsOverlap(parseCidr('10.32.0.0/12'), parseCidr('10.96.0.0/12')), false)
  t.equal(cidrsOverlap(parseCidr('10.0.0.0/8'), parseCidr('10.96.0.0/12')), true)
  t.equal(cidrsOverlap(parseCidr('172.31.0.0/16'), parseCidr('172.31.128.0/17')), true)
  t.equal(cidrsOverlap(parseCidr('10.0.0.0/8'), parseCidr('fd00::/8')), false)
})
