import { Writable } from 'node:stream';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { ReleaseReadiness, type ReleaseApp } from '@zdm/migrator';
import { CommandContext } from '../context';
import { MODULE_OPTIONS_TOKEN, type MigrationsHealthOptions } from './migrations-health.module-definition';

/** A stream that hands each line to a callback. */
function lines(write: (line: string) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) write(line);
      done();
    },
  });
}

/**
 * Readiness for @nestjs/terminus: down while a migration of this release is pending or changed
 * (the same judgement as `migrate status --exit-code`). A migration a newer release applied
 * (`missing`) never makes it down: in a rolling deploy the old pods stay ready.
 *
 *   this.health.check([() => this.migrations.isReady()])
 */
@Injectable()
export class MigrationsHealthIndicator implements OnModuleDestroy {
  private readonly logger = new Logger('MigrationsHealth');
  private readonly readiness: ReleaseReadiness;
  private context?: CommandContext;

  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(MODULE_OPTIONS_TOKEN) private readonly options: MigrationsHealthOptions,
  ) {
    this.readiness = new ReleaseReadiness(() => this.release(), { cacheMs: options.cacheMs });
  }

  async isReady<const Key extends string = 'migrations'>(key: Key = 'migrations' as Key): Promise<HealthIndicatorResult<Key>> {
    const indicator = this.health.check(key);
    try {
      const report = await this.readiness.check();
      const apps = Object.fromEntries(report.apps.map((a) => [a.app, { pending: a.pending, changed: a.changed, missing: a.missing }]));
      return report.ready ? indicator.up({ apps }) : indicator.down({ apps });
    } catch (error) {
      const message = this.context?.out.redact(String((error as Error)?.message ?? error)) ?? 'the migration history could not be read';
      this.logger.warn(message);
      return indicator.down({ message });
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.readiness.close();
    await this.context?.close();
  }

  /** This release's migrations, read once through the CLI's own config and engine. */
  private async release(): Promise<ReleaseApp[]> {
    const discard = lines(() => undefined);
    this.context ??= CommandContext.create(
      { stdout: discard, stderr: lines((line) => this.logger.debug(line)), cwd: process.cwd(), env: this.options.env ?? process.env, isTTY: false },
      { config: this.options.config, app: this.options.apps ?? [] },
    );
    const engine = await this.context.engine(this.context.settings(), 'readiness', undefined);
    return engine.release();
  }
}
