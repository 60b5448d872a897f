import { compareColumns, hasDrift } from './drift';

describe('compareColumns', () => {
  it('lists added, missing and retyped columns, leaving out the time column and the service’s own', () => {
    const drift = compareColumns(
      [
        { name: 'time', type: 'timestamp' },
        { name: 'id', type: 'long' },
        { name: 'price', type: 'string' },
        { name: 'coupon', type: 'string' },
      ],
      'time',
      [
        { name: '__time', type: 'long' },
        { name: 'ingest_task_id', type: 'string' },
        { name: 'id', type: 'long' },
        { name: 'price', type: 'double' },
        { name: 'region', type: 'string' },
      ],
    );
    expect(drift).toEqual({
      added: ['coupon'],
      missing: ['region'],
      changed: [{ name: 'price', file: 'string', stored: 'double' }],
    });
    expect(hasDrift(drift)).toBe(true);
  });

  it('takes Druid’s names for the same types as equal', () => {
    const drift = compareColumns(
      [
        { name: 'ok', type: 'boolean' },
        { name: 'x', type: 'double' },
      ],
      null,
      [
        { name: 'ok', type: 'string' },
        { name: 'x', type: 'float' },
      ],
    );
    expect(hasDrift(drift)).toBe(false);
  });
});
