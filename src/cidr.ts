/**
 * IPv4 and IPv6 networks, shared by the config checks and the template filters. ipaddr.js does the address
 * work; node:net decides what is an address first, because ipaddr.js also reads the old inet_aton forms
 * (`010.0.0.1` as octal, `10.1`) that Kubernetes refuses.
 */
import { isIPv4, isIPv6 } from 'node:net'
import ipaddr from 'ipaddr.js'

export interface Cidr {
  family: 4 | 6
  /** The address as written (host bits included). */
  address: ipaddr.IPv4 | ipaddr.IPv6
  prefix: number
  /** 32 or 128. */
  bits: number
}

export class CidrSyntaxError extends Error {}

export function parseCidr(text: string): Cidr {
  const match = /^([^/\s]+)\/(\d{1,3})$/.exec(text.trim())
  if (!match) throw new CidrSyntaxError(`"${text}" is not in CIDR notation (address/prefix, e.g. 10.32.0.0/12)`)
  const [, addressText, prefixText] = match as unknown as [string, string, string]
  // A zone (fe80::1%eth0) names an interface, not a network.
  const family = isIPv4(addressText) ? 4 : isIPv6(addressText) && !addressText.includes('%') ? 6 : undefined
  if (!family) throw new CidrSyntaxError(`"${addressText}" is not an IPv4 or IPv6 address`)
  const bits = family === 4 ? 32 : 128
  const prefix = Number(prefixText)
  if (prefix > bits) throw new CidrSyntaxError(`prefix /${prefix} is longer than ${bits} bits`)
  return { family, address: ipaddr.parse(addressText), prefix, bits }
}

/** The network address, as a number: the address with its host bits cleared. */
function networkNumber(c: Cidr): bigint {
  return toNumber(c.address) & ~hostMask(c)
}

export function hasHostBits(c: Cidr): boolean {
  return (toNumber(c.address) & hostMask(c)) !== 0n
}

/** The n-th address of the network (n may be negative to count from the end, as Terraform's cidrhost). */
export function cidrHost(c: Cidr, n: number): string {
  const size = hostMask(c) + 1n
  const offset = n < 0 ? size + BigInt(n) : BigInt(n)
  if (offset < 0n || offset >= size) {
    throw new RangeError(`host number ${n} does not fit in ${formatCidr(c)} (${size} addresses)`)
  }
  return fromNumber(c, networkNumber(c) + offset).toString()
}

export function cidrNetmask(c: Cidr): string {
  const mask = c.family === 4 ? ipaddr.IPv4.subnetMaskFromPrefixLength(c.prefix) : ipaddr.IPv6.subnetMaskFromPrefixLength(c.prefix)
  return mask.toString()
}

/** The network in its canonical form (IPv6 as RFC 5952 writes it). */
export function formatCidr(c: Cidr): string {
  return `${fromNumber(c, networkNumber(c)).toString()}/${c.prefix}`
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false
  // Two networks overlap when they agree on the bits of the shorter prefix.
  const shift = BigInt(a.bits - Math.min(a.prefix, b.prefix))
  return toNumber(a.address) >> shift === toNumber(b.address) >> shift
}

// ipaddr.js has no arithmetic: host numbers, masks and overlaps work on the address as a number.
const hostMask = (c: Cidr): bigint => (1n << BigInt(c.bits - c.prefix)) - 1n

function toNumber(address: ipaddr.IPv4 | ipaddr.IPv6): bigint {
  return address.toByteArray().reduce((acc, byte) => (acc << 8n) | BigInt(byte), 0n)
}

function fromNumber(c: Cidr, value: bigint): ipaddr.IPv4 | ipaddr.IPv6 {
  const bytes = Array.from({ length: c.bits / 8 }, (_, i) => Number((value >> BigInt(c.bits - 8 - 8 * i)) & 0xffn))
  return ipaddr.fromByteArray(bytes)
}
