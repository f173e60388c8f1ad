// All parameters of a model live in one flat Float32Array, laid out tensor after tensor in
// PyTorch's state-dict order and names, so that optimizers, clipping and gradient all-reduce
// work on one array and a checkpoint maps one to one onto torch.nn.LSTM/GRU/RNN + Linear.
//
//   rnn.weight_ih_l{k}  (G·H, in_k)   in_0 = V (one-hot input), in_k = H for k > 0
//   rnn.weight_hh_l{k}  (G·H, H)
//   rnn.bias_ih_l{k}    (G·H)
//   rnn.bias_hh_l{k}    (G·H)
//   decoder.weight      (V, H)
//   decoder.bias        (V)
import { ModelConfig, gatesPerUnit } from './config';

export interface TensorSpec {
  name: string;
  shape: number[];
  offset: number;  // in floats, into the flat array
  size: number;    // product of shape
}

export interface LayerSlots { wih: TensorSpec; whh: TensorSpec; bih: TensorSpec; bhh: TensorSpec }

export interface ParamLayout {
  tensors: TensorSpec[];
  layers: LayerSlots[];
  decoderWeight: TensorSpec;
  decoderBias: TensorSpec;
  total: number;   // floats in the flat array
}

export function paramLayout(c: ModelConfig): ParamLayout {
  const GH = gatesPerUnit(c.cell) * c.hidden, H = c.hidden, V = c.vocabSize;
  const tensors: TensorSpec[] = [];
  let offset = 0;
  const add = (name: string, shape: number[]): TensorSpec => {
    const size = shape.reduce((a, b) => a * b, 1);
    const t = { name, shape, offset, size };
    tensors.push(t);
    offset += size;
    return t;
  };
  const layers: LayerSlots[] = [];
  for (let k = 0; k < c.layers; k++) {
    layers.push({
      wih: add(`rnn.weight_ih_l${k}`, [GH, k === 0 ? V : H]),
      whh: add(`rnn.weight_hh_l${k}`, [GH, H]),
      bih: add(`rnn.bias_ih_l${k}`, [GH]),
      bhh: add(`rnn.bias_hh_l${k}`, [GH]),
    });
  }
  const decoderWeight = add('decoder.weight', [V, H]);
  const decoderBias = add('decoder.bias', [V]);
  return { tensors, layers, decoderWeight, decoderBias, total: offset };
}

/** A view of one tensor inside the flat array (no copy). */
export function view(flat: Float32Array, t: TensorSpec): Float32Array {
  return flat.subarray(t.offset, t.offset + t.size);
}
