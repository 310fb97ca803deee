export { type RunningServer, startServer } from './app.ts';
export { defaultConfig, readConfig, type ServerConfig } from './config.ts';
export { createLogger, type Logger, type LogLevel, roomTag } from './log.ts';
export { issueTurnCredentials, type TurnSettings, turnRefreshIntervalMs } from './turn-credentials.ts';
