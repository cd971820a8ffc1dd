/** The training workloads `make bench` measures (shapes as in the performance goals). */
export const WORKLOADS = {
  cnn: { batch: 32, seqLen: 251, what: 'CNN, batch 32, 251 bp' },
  'bert-small': { batch: 16, seqLen: 256, what: 'small BERT (4 × 256, 4 heads, FFN 1024), batch 16 × 256 tokens' },
  'bert-base': { batch: 8, seqLen: 256, what: 'BERT-base (12 × 768), batch 8 × 256 tokens' },
} as const;
export type Workload = keyof typeof WORKLOADS;
