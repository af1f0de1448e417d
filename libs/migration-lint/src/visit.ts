import type { Node } from '@pgsql/types';
import type { NodeOf, NodeTag } from './nodes';

/**
 * Callbacks by node type. One returning `false` skips what is under that node; the walk goes on
 * beside it.
 */
export type Visitors = { [K in NodeTag]?: (node: NodeOf<K>) => void | false };

/** A node type's name: the one key of a node, starting with a capital (`FuncCall`, `A_Const`). */
const TAG = /^[A-Z]/;

type Tree = Node | readonly Node[] | object | undefined;

/**
 * Walks every node under `root` (a node, a list of nodes, or a node's body such as a statement's)
 * depth first, in the parser's order, and calls the callback of each node's type with its body.
 * Bare structs in fields (`relation: RangeVar`) are walked through; callbacks get the nodes the
 * tree names by type.
 */
export function visit(root: Tree, visitors: Visitors): void {
  const callbacks = visitors as Record<string, ((node: unknown) => void | false) | undefined>;
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) walk(item);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const keys = Object.keys(value);
    const record = value as Record<string, unknown>;
    if (keys.length === 1 && TAG.test(keys[0])) {
      const body = record[keys[0]];
      if (callbacks[keys[0]]?.(body) === false) return;
      walk(body);
      return;
    }
    for (const key of keys) walk(record[key]);
  };
  walk(root);
}

/** The bodies of every node of type `tag` under `root`, in the parser's order. */
export function collect<T extends NodeTag>(root: Tree, tag: T): NodeOf<T>[] {
  const found: NodeOf<T>[] = [];
  visit(root, { [tag]: (node: NodeOf<T>) => void found.push(node) } as Visitors);
  return found;
}
