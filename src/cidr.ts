/**
 * IPv4 and IPv6 CIDR arithmetic on bigints, shared by the config checks and the template filters.
 * node:net validates the address text; we only do the bit work it does not offer.
 */
import { isIPv4, isIPv6 } from 'node:net'

export interface Cidr {
  family: 4 | 6
  /** The address as written, as a number (host bits included). */
  address: bigint
  prefix: number
  /** 32 or 128. */
  bits: number
}

export class CidrSyntaxError extends Error {}

export function parseCidr(text: string): Cidr {
  const match = /^([^/\s]+)\/(\d{1,3})$/.exec(text.trim())
  if (!match) throw new CidrSyntaxError(`"${text}" is not in CIDR notation (address/prefix, e.g. 10.32.0.0/12)`)
  const [, addressText, prefixText] = match as unknown as [string, string, string]
  const family = isIPv4(addressText) ? 4 : isIPv6(addressText) ? 6 : undefined
  if (!family) throw new CidrSyntaxError(`"${addressText}" is not an IPv4 or IPv6 address`)
  const bits = family === 4 ? 32 : 128
  const prefix = Number(prefixText)
  if (prefix > bits) throw new CidrSyntaxError(`prefix /${prefix} is longer than ${bits} bits`)
  return { family, address: family === 4 ? parseIPv4(addressText) : parseIPv6(addressText), prefix, bits }
}

function parseIPv4(text: string): bigint {
  return text.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n)
}

function parseIPv6(text: string): bigint {
  let body = text
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(body)
  if (v4) {
    const n = parseIPv4(v4[1] as string)
    body = body.slice(0, v4.index) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`
  }
  const [head = '', tail] = body.split('::')
  const headParts = head ? head.split(':') : []
  const tailParts = tail ? tail.split(':') : []
  const missing = 8 - headParts.length - tailParts.length
  const parts = tail === undefined ? headParts : [...headParts, ...Array<string>(missing).fill('0'), ...tailParts]
  return parts.reduce((acc, part) => (acc << 16n) | BigInt(parseInt(part, 16)), 0n)
}

export function formatAddress(family: 4 | 6, value: bigint): string {
  if (family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.')
  }
  const hextets = Array.from({ length: 8 }, (_, i) => (value >> BigInt((7 - i) * 16)) & 0xffffn)
  // RFC 5952: compress the longest run (of two or more) of zero hextets.
  let bestStart = -1
  let bestLength = 1
  for (let i = 0; i < 8; ) {
    if (hextets[i] !== 0n) {
      i++
      continue
    }
    let j = i
    while (j < 8 && hextets[j] === 0n) j++
    if (j - i > bestLength) {
      bestStart = i
      bestLength = j - i
    }
    i = j
  }
  const text = hextets.map((h) => h.toString(16))
  if (bestStart < 0) return text.join(':')
  return `${text.slice(0, bestStart).join(':')}::${text.slice(bestStart + bestLength).join(':')}`
}

const hostMask = (c: Cidr): bigint => (1n << BigInt(c.bits - c.prefix)) - 1n

/** The network address: the address with its host bits cleared. */
export function networkAddress(c: Cidr): bigint {
  return c.address & ~hostMask(c)
}

export function hasHostBits(c: Cidr): boolean {
  return (c.address & hostMask(c)) !== 0n
}

/** The n-th address of the network (n may be negative to count from the end, as Terraform's cidrhost). */
export function cidrHost(c: Cidr, n: number): string {
  const size = 1n << BigInt(c.bits - c.prefix)
  const offset = n < 0 ? size + BigInt(n) : BigInt(n)
  if (offset < 0n || offset >= size) {
    throw new RangeError(`host number ${n} does not fit in ${formatCidr(c)} (${size} addresses)`)
  }
  return formatAddress(c.family, networkAddress(c) + offset)
}

export function cidrNetmask(c: Cidr): string {
  const all = (1n << BigInt(c.bits)) - 1n
  return formatAddress(c.family, all & ~hostMask(c))
}

export function formatCidr(c: Cidr): string {
  return `${formatAddress(c.family, networkAddress(c))}/${c.prefix}`
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false
  const prefix = Math.min(a.prefix, b.prefix)
  const shift = BigInt(a.bits - prefix)
  return a.address >> shift === b.address >> shift
}
