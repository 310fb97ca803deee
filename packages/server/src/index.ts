export { startServer, type RunningServer } from './app.ts';
export { defaultConfig, readConfig, type ServerConfig } from './config.ts';
export { createLogger, roomTag, type Logger, type LogLevel } from './log.ts';
export { issueTurnCredentials, turnRefreshIntervalMs, type TurnSettings } from './turn-credentials.ts';
