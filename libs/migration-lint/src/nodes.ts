import type { Node } from '@pgsql/types';

/**
 * The parse tree's types, from @pgsql/types (the shapes libpg-query returns). A `Node` is an
 * object with one key, its type: `{ FuncCall: { funcname, args, ... } }`; fields that hold one
 * known struct (`relation: RangeVar`) hold it bare.
 */

type KeysOf<U> = U extends unknown ? keyof U : never;

/** Every node type: `IndexStmt`, `AlterTableCmd`, `FuncCall`, `String`, ... */
export type NodeTag = KeysOf<Node>;

/** The body of a node of type `T`: `NodeOf<'IndexStmt'>` is `IndexStmt`. */
export type NodeOf<T extends NodeTag> = Extract<Node, Record<T, unknown>>[T];

/** A statement's type and body, one member per type: checking `kind` narrows `node`. */
export type StatementNode = { [K in NodeTag]: { kind: K; node: NodeOf<K> } }[NodeTag];

/** The statement types. */
export type StatementKind = StatementNode['kind'];

/** The body of a node if it is of type `tag`: `nodeOf(cmd.def, 'Constraint')`. */
export function nodeOf<T extends NodeTag>(node: Node | undefined, tag: T): NodeOf<T> | undefined {
  return node && tag in node ? ((node as Record<string, unknown>)[tag] as NodeOf<T>) : undefined;
}

/** The bodies of the nodes of a list that are of type `tag`, the others left out. */
export function nodesOf<T extends NodeTag>(nodes: readonly Node[] | undefined, tag: T): NodeOf<T>[] {
  const found: NodeOf<T>[] = [];
  for (const node of nodes ?? []) {
    const body = nodeOf(node, tag);
    if (body !== undefined) found.push(body);
  }
  return found;
}

/** A statement's body if it is of type `kind`: `statementOf(s, 'IndexStmt')?.concurrent`. */
export function statementOf<K extends StatementKind>(statement: { kind: string; node: unknown }, kind: K): NodeOf<K> | undefined {
  return statement.kind === kind ? (statement.node as NodeOf<K>) : undefined;
}

/**
 * A statement's type and body as the parser gave them, typed. For callers that hold the two apart
 * (`fn(s.kind, s.node)`): the body is the parser's, of the type its key names.
 */
export function typedStatement(kind: string, node: unknown): StatementNode {
  return { kind, node } as StatementNode;
}

/** The dotted name of a list of String nodes: `["billing", "status"]` is `billing.status`. */
export function qualifiedName(names: readonly Node[] | undefined): string {
  return (names ?? []).map((n) => nodeOf(n, 'String')?.sval).join('.');
}
