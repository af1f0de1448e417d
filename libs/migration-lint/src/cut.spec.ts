import { cutOutsideSecrets } from './cut';

describe('cutOutsideSecrets', () => {
  it('keeps short text whole', () => {
    expect(cutOutsideSecrets('select 1', 80)).toBe('select 1');
  });

  it('never cuts inside a quoted literal: a password is left out whole, not in part', () => {
    const sql = `ALTER ROLE app PASSWORD 'S3cr3t-Pa55word-Zq' VALID UNTIL 'infinity'`;
    expect(cutOutsideSecrets(sql, 30)).toBe('ALTER ROLE app PASSWORD…');
  });

  it('never cuts inside a word: a connection string is left out whole', () => {
    const text = `create server s options (dsn postgres://app:S3cr3t-Pa55word@db/app)`;
    expect(cutOutsideSecrets(text, 50)).toBe('create server s options (dsn…');
  });

  it('reads a doubled quote as part of the literal', () => {
    expect(cutOutsideSecrets(`select 'it''s S3cr3t-value' as x`, 20)).toBe('select…');
  });
});
