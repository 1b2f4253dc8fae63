import t from 'tap'
import { cidrHost, cidrNetmask, cidrsOverlap, formatCidr, hasHostBits, parseCidr } from '../src/cidr.js'

t.test('parses IPv4 and IPv6', async (t) => {
  t.match(parseCidr('10.96.0.0/12'), { family: 4, prefix: 12, bits: 32 })
  t.match(parseCidr('fd00:10:96::/108'), { family: 6, prefix: 108, bits: 128 })
  t.equal(formatCidr(parseCidr('fd00:0:0:0::/64')), 'fd00::/64')
  t.equal(formatCidr(parseCidr('::ffff:10.0.0.0/120')), '::ffff:a00:0/120')
  t.equal(formatCidr(parseCidr('::ffff:192.168.100.200/128')), '::ffff:c0a8:64c8/128', 'an IPv4 tail with longer octets')
  t.equal(formatCidr(parseCidr('fd00::1/128')), 'fd00::1/128', 'zeros between a head and a tail')
  t.equal(formatCidr(parseCidr(' 10.0.0.0/8 ')), '10.0.0.0/8', 'spaces around')
  t.equal(parseCidr('10.0.0.1/32').prefix, 32, 'a prefix as long as the address')
})

t.test('formats IPv6 as RFC 5952: the first longest run of zeros compressed, none when there is none', async (t) => {
  t.equal(formatCidr(parseCidr('fd00:1:2:3:4:5:6:7/128')), 'fd00:1:2:3:4:5:6:7/128')
  t.equal(formatCidr(parseCidr('1:0:0:2:0:0:3:4/128')), '1::2:0:0:3:4/128')
  t.equal(formatCidr(parseCidr('1:0:2:3:4:5:6:7/128')), '1:0:2:3:4:5:6:7/128', 'a single zero stays')
})

t.test('rejects what is not a CIDR', async (t) => {
  for (const bad of ['10.0.0.0', '10.0.0.256/8', '010.0.0.0/8', '10.1/16', 'fe80::1%eth0/64', '10.0.0.0/33', 'fd00::/129', 'nope/8', '', 'x 10.0.0.0/8', '10.0.0.0/8x']) {
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
  t.equal(cidrHost(parseCidr('10.0.0.0/30'), 0), '10.0.0.0', 'host 0 is the network address')
  t.equal(cidrHost(parseCidr('10.0.0.0/30'), -4), '10.0.0.0')
  t.throws(() => cidrHost(parseCidr('10.0.0.0/30'), -5), RangeError)
  t.equal(cidrNetmask(parseCidr('10.96.0.0/12')), '255.240.0.0')
  t.equal(cidrNetmask(parseCidr('fd00::/64')), 'ffff:ffff:ffff:ffff::')
})

t.test('overlap', async (t) => {
  t.equal(cidrsOverlap(parseCidr('10.32.0.0/12'), parseCidr('10.96.0.0/12')), false)
  t.equal(cidrsOverlap(parseCidr('10.0.0.0/8'), parseCidr('10.96.0.0/12')), true)
  t.equal(cidrsOverlap(parseCidr('172.31.0.0/16'), parseCidr('172.31.128.0/17')), true)
  t.equal(cidrsOverlap(parseCidr('10.0.0.0/8'), parseCidr('fd00::/8')), false)
  t.equal(cidrsOverlap(parseCidr('0.0.0.0/0'), parseCidr('::/0')), false, 'IPv4 and IPv6 never overlap')
})
