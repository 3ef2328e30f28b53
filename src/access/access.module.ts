// Who may connect and how often: credentials, origins and per-client limits (docs/SECURITY.md).
import {
  Global,
  Inject,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import {
  ConnectionLimits,
  HANDSHAKE_WINDOW_MS,
  MemoryConnectionCounters,
} from './connection.limits';
import { CredentialVerifier } from './credentials.verifier';
import { OriginPolicy } from './origin.policy';
import { RedisConnectionCounters, RedisLink } from './redis.link';
import { SocketGate } from './socket.gate';

@Global()
@Module({
  providers: [
    {
      provide: CredentialVerifier,
      inject: [AppConfig],
      useFactory: (config: AppConfig) =>
        new CredentialVerifier({
          apiKeys: config.apiKeys,
          jwtSecret: config.jwtSecret,
          jwtJwksUrl: config.jwtJwksUrl,
        }),
    },
    {
      provide: OriginPolicy,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => new OriginPolicy(config.allowedOrigins),
    },
    {
      provide: RedisLink,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => (config.redisUrl ? new RedisLink(config.redisUrl) : null),
    },
    {
      provide: RedisConnectionCounters,
      inject: [RedisLink],
      useFactory: (link: RedisLink | null) =>
        link ? new RedisConnectionCounters(link, HANDSHAKE_WINDOW_MS) : null,
    },
    {
      provide: ConnectionLimits,
      inject: [AppConfig, RedisConnectionCounters],
      useFactory: (config: AppConfig, shared: RedisConnectionCounters | null) =>
        new ConnectionLimits(shared ?? new MemoryConnectionCounters(), {
          connectionsPerIp: config.wsConnectionsPerIp,
          handshakesPerIp: config.wsHandshakesPerIp,
        }),
    },
    SocketGate,
  ],
  exports: [CredentialVerifier, OriginPolicy, RedisLink, SocketGate],
})
export class AccessModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Optional() @Inject(RedisLink) private readonly redis: RedisLink | null,
    @Optional()
    @Inject(RedisConnectionCounters)
    private readonly counters: RedisConnectionCounters | null,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.redis || !this.counters) return;
    await this.redis.ready(2000);
    await this.counters.start();
  }

  onApplicationShutdown(): void {
    this.counters?.stop();
    this.redis?.close();
  }
}
