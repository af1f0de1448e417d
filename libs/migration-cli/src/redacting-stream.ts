/**
 * A stream whose every write() goes through the redactor first. It is a Proxy: isTTY, columns,
 * cursorTo, clearLine and the rest (cli-progress uses them) are the wrapped stream's own.
 * The redactor can be replaced: the one built from the raw environment serves until the
 * command's context (which knows the .env files' secrets too) exists.
 */
export interface RedactingStream<S extends NodeJS.WritableStream> {
  stream: S;
  setRedactor(redact: (text: string) => string): void;
}

export function redactingStream<S extends NodeJS.WritableStream>(target: S, initial: (text: string) => string): RedactingStream<S> {
  let redact = initial;
  const write = (chunk: unknown, ...rest: unknown[]): boolean => {
    const text = typeof chunk === 'string' ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : String(chunk);
    // an encoding argument no longer applies to the redacted string
    const args = typeof rest[0] === 'string' ? rest.slice(1) : rest;
    return (target.write as (...a: unknown[]) => boolean).call(target, redact(text), ...args);
  };
  const stream = new Proxy(target, {
    get(obj, key) {
      if (key === 'write') return write;
      const value = Reflect.get(obj, key, obj) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(obj) : value;
    },
  });
  return { stream, setRedactor: (next) => (redact = next) };
}
