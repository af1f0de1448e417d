export * from './alerts/alert-event';
export * from './alerts/alerter';
export * from './alerts/channels';
export * from './env';
export * from './logging/logger';
export * from './metrics/metrics';
export * from './redaction/redactor';
export * from './reports/run-report';
