/**
 * A walk over a parsed YAML tree in the order of yaml's visit(): a collection before its items, a pair's key
 * before its value. visit() freezes a copy of the path at every collection, which took most of the time of
 * the checks that walk every document of a large set; these walks need no path.
 */
import { isCollection, isDocument, isPair, type Document, type Node } from 'yaml'

/** Calls `onNode` for every node (not pairs) under `root`; stops at the first call that returns true. */
export function someNode(root: Document | Node | null | undefined, onNode: (node: Node) => boolean | void): boolean {
  const node: unknown = isDocument(root) ? root.contents : root
  if (node === null || node === undefined || typeof node !== 'object') return false
  if (onNode(node as Node) === true) return true
  if (!isCollection(node)) return false
  // Read after the call: a callback may replace a collection's items (merge keys do).
  for (const item of node.items) {
    if (isPair(item)) {
      if (someNode(item.key as Node, onNode) || someNode(item.value as Node, onNode)) return true
    } else if (someNode(item as Node, onNode)) {
      return true
    }
  }
  return false
}
