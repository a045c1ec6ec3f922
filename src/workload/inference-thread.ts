/**
 * The inference thread: reads the model file and runs every prediction
 * (decode, resize, forward pass) here, so that the server's event loop keeps
 * answering /health during an inference. Messages are handled in order.
 */
import { parentPort } from "node:worker_threads";
import { decodeImage, toModelInput } from "./image-input.js";
import { ImageError } from "./rgb-image.js";
import { buildSimpleCnn, type SimpleCnn } from "./simple-cnn.js";
import { readTorchFile } from "./torch-file.js";
import type { FromInferenceThread, ToInferenceThread } from "./inference-protocol.js";

const port = parentPort!;
let network: SimpleCnn | undefined;

const reply = (message: FromInferenceThread, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer);

port.on("message", (message: ToInferenceThread) => {
  const { id } = message;
  try {
    if (message.t === "load") {
      network = undefined;
      const loaded = buildSimpleCnn(readTorchFile(message.file));
      network = loaded;
      reply({ t: "loaded", id, inputSize: loaded.inputSize, outputs: loaded.outputs, description: loaded.describe() });
    } else {
      if (!network) throw new Error("no model is loaded");
      const image = decodeImage(Buffer.from(message.image));
      const logits = network.forward(toModelInput(image, network.inputSize, message.normalization));
      reply({ t: "predicted", id, logits, width: image.width, height: image.height }, [logits.buffer as ArrayBuffer]);
    }
  } catch (error) {
    reply({ t: "failed", id, message: (error as Error).message, image: error instanceof ImageError });
  }
});
