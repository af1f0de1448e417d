import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { MigrationsHealthIndicator } from '@zdm/migration-cli/nest';
import { MikroORM } from '@mikro-orm/postgresql';

@Controller('health')
export class HealthController {
  constructor(
    private readonly orm: MikroORM,
    private readonly health: HealthCheckService,
    private readonly migrations: MigrationsHealthIndicator,
  ) {}

  @Get()
  async check(): Promise<{ status: 'ok'; database: 'up' }> {
    try {
      await this.orm.em.getConnection().execute('select 1');
    } catch {
      throw new ServiceUnavailableException({ status: 'error', database: 'down' });
    }
    return { status: 'ok', database: 'up' };
  }

  /** Readiness: this release's migrations are applied (a newer release's extra ones don't count). */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.migrations.isReady()]);
  }
}
