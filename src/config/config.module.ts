import { Global, Module } from '@nestjs/common';
import { Readiness } from '../common/readiness';
import { AppConfig, loadConfig } from './app-config';

@Global()
@Module({
  // Readiness is here because every module may hold it back, and this module is global.
  providers: [{ provide: AppConfig, useFactory: () => loadConfig() }, Readiness],
  exports: [AppConfig, Readiness],
})
export class ConfigModule {}
