import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gridColumns, PHONE_PAGE_SIZE, pageCount, pageSize, WIDE_PAGE_SIZE } from './tile-grid.ts';

test('24 others and ourselves fit a 1280×720 laptop stage as 5×5; a phone pages them', () => {
  assert.equal(gridColumns(25, 1280, 720), 5);
  assert.equal(pageSize(1280), WIDE_PAGE_SIZE);
  assert.equal(pageCount(24, pageSize(1280)), 1);
  assert.equal(pageSize(390), PHONE_PAGE_SIZE);
  assert.equal(pageCount(24, pageSize(390)), 4);
  assert.equal(pageCount(0, PHONE_PAGE_SIZE), 1);
});

test('columns follow the stage shape: wide stages go wide, tall ones go tall', () => {
  assert.equal(gridColumns(6, 390, 700), 1 + 1, 'six on an upright phone: two columns of three');
  assert.equal(gridColumns(6, 1280, 720), 3);
  assert.equal(gridColumns(9, 1280, 720), 3);
  assert.equal(gridColumns(12, 1280, 720), 4);
  assert.equal(gridColumns(1, 1280, 720), 1);
});
