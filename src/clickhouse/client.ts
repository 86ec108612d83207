/** @clickhouse/client instances for the kit's three ClickHouse users. */
import { createClient, type ClickHouseClient, type ClickHouseClientConfigOptions } from '@clickhouse/client';
import type { KitConfig } from '../config.js';

export type ClickHouseRole = 'admin' | 'connector' | 'reader' | 'parity';

export function clickhouseClient(config: KitConfig, role: ClickHouseRole = 'admin', extra: Pick<ClickHouseClientConfigOptions, 'session_id' | 'clickhouse_settings'> = {}): ClickHouseClient {
  const { user, password } = config.clickhouse[role];
  return createClient({
    url: config.clickhouse.url,
    username: user,
    password,
    request_timeout: 120_000,
    // The client logs failed requests itself; the kit reports errors its own way.
    log: { level: 127 as never },
    ...extra,
  });
}
