// Stand-in so the CLI builds while this library is written; the library replaces this file.
export interface LintContext { migration?: string; file?: string; transactional: boolean; ignore?: string[] }
export interface Finding { rule: string; severity: 'error' | 'warning'; message: string; fix: string; migration?: string; file?: string; statementIndex: number; line?: number; statement: string }
export async function lintStatements(_statements: string[], _context: LintContext): Promise<Finding[]> { return []; }
