/** The environment, read once at the edge and handed down: nothing in this library reads process.env. */
export type Env = Readonly<Record<string, string | undefined>>;
