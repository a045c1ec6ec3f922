/** The messages between the server and its inference thread. */
import type { Normalization } from "./image-input.js";

export type ToInferenceThread =
  | { t: "load"; id: number; file: string }
  | { t: "predict"; id: number; image: ArrayBuffer; normalization: Normalization };

export type FromInferenceThread =
  | { t: "loaded"; id: number; inputSize: number; outputs: number; description: string }
  | { t: "predicted"; id: number; logits: Float32Array; width: number; height: number }
  /** `image` when the image could not be decoded (answered 415). */
  | { t: "failed"; id: number; message: string; image: boolean };
