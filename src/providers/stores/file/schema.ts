import * as z from 'zod';

export const fileStoreSchema = z
  .strictObject({
    type: z.literal('file'),
    path: z.string().min(1).describe('JSON file consumers read; relative to the plan file'),
    adopt: z.boolean().default(false).describe('take over an existing file keyrot did not write'),
  })
  .describe('a local JSON file (mode 0600) with the current key and, during the overlap, the previous one');

export type FileStoreConfig = z.output<typeof fileStoreSchema>;
