/**
 * Names in the order of their UTF-8 bytes: how Ruby's String#<=> (and so Pharos' `Dir.glob(...).sort`)
 * ordered a manifest folder. JavaScript's `<` compares UTF-16 code units, which puts a name past U+FFFF
 * (an emoji) before one in U+E000–U+FFFF (a full-width letter); Ruby puts it after.
 */
export function byUtf8Bytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b))
}
