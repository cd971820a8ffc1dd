/**
 * The paper's Table 2: test F1 (class 1, %) as mean ± std over 5 runs. Quoted for comparison only;
 * nothing computed by this project is taken from here.
 */
import type { ModelName } from '../config.js';

export interface PaperCell {
  mean: number;
  std: number;
}

export const PAPER_TABLE2: Record<string, Record<ModelName, PaperCell>> = {
  human_nontata_promoters: { cnn: { mean: 83.9, std: 1.5 }, 'dnabert-random': { mean: 88.0, std: 0.7 }, 'dnabert-pretrained': { mean: 91.9, std: 0.9 } },
  demo_human_or_worm: { cnn: { mean: 83.3, std: 0.6 }, 'dnabert-random': { mean: 80.0, std: 0.6 }, 'dnabert-pretrained': { mean: 96.8, std: 0.2 } },
  human_enhancers_ensembl: { cnn: { mean: 61.9, std: 1.4 }, 'dnabert-random': { mean: 83.8, std: 0.7 }, 'dnabert-pretrained': { mean: 86.9, std: 0.3 } },
  demo_coding_vs_intergenomic_seqs: { cnn: { mean: 74.8, std: 0.5 }, 'dnabert-random': { mean: 78.3, std: 0.6 }, 'dnabert-pretrained': { mean: 92.8, std: 0.6 } },
  human_enhancers_cohn: { cnn: { mean: 67.1, std: 0.6 }, 'dnabert-random': { mean: 76.5, std: 0.5 }, 'dnabert-pretrained': { mean: 74.1, std: 0.4 } },
};

export const MODEL_LABELS: Record<ModelName, string> = {
  cnn: 'CNN',
  'dnabert-random': 'DNABERT random weights',
  'dnabert-pretrained': 'DNABERT pretrained',
};
