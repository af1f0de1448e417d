export const EXIT_CODES = `Exit codes: 0 ok, 1 a migration or batch failed, 2 usage, config or connection error,
3 the run lock's --lock-wait ran out, 4 drift, 5 safety findings, 6 pending or changed migrations
(status --exit-code), 130/143 interrupted by SIGINT/SIGTERM.`;
