import { timestampOf, timestampPrefix } from './naming';

describe('timestamped names', () => {
  it("gives TypeORM's class-name timestamp for a file name", () => {
    expect(timestampOf('202401150900__create_chargebacks')).toBe(1705309200000);
    expect(timestampOf('202401151000__chargebacks_add_utr_reported_at')).toBe(1705312800000);
  });

  it.each(['20240115__short', '202401150900_create', '202401150900__Create_Chargebacks', '202413010900__bad_month', '202402300900__bad_day'])('refuses %s', (name) => {
    expect(timestampOf(name)).toBeUndefined();
  });

  it('formats a date as YYYYMMDDHHmm in UTC', () => {
    expect(timestampPrefix(new Date(Date.UTC(2024, 0, 15, 9, 0, 59)))).toBe('202401150900');
  });
});
