/** The output formats of `lint`: a module of its own, so reading the command line loads no linter. */
export const LINT_FORMATS = ['text', 'json', 'github', 'sarif'] as const;
export type Format = (typeof LINT_FORMATS)[number];
