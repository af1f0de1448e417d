import type { TestServer } from './server';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as { __zdmTestServer?: TestServer }).__zdmTestServer;
  await server?.stop();
}
