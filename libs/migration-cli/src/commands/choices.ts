/**
 * The fixed choices of the command line's options, in a module of their own: defining the
 * commands loads none of them (each command's module loads when it runs).
 */
export { LINT_FORMATS } from './lint-formats';
export const TRACE_FORMATS = ['text', 'json', 'github'] as const;
export const VERIFY_FORMATS = ['text', 'json', 'github'] as const;
export const TEMPLATES = ['add-column', 'add-index', 'add-not-null', 'add-foreign-key', 'rename-column', 'change-type'] as const;
