package org.chestlens.inference;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;

/**
 * One engine variant of the CPU engine comparison (bench/run.sh onnx), in a JVM of its own: a fresh process per
 * variant keeps one engine's thread pools from slowing the other. (Both engines do run in one process, each
 * fed NDArrays of its own manager; an NDArray of one handed to a model of the other fails.) It runs the three folds on the same batch, as the
 * service does, and prints one RESULT line per batch size; it also writes each fold's logits of the package's
 * reference inputs, which {@code compare} holds against the TorchScript ones.
 *
 * <pre>
 * run &lt;variant&gt; &lt;package&gt; &lt;onnx dir&gt; &lt;batches&gt; &lt;seconds&gt; &lt;logits out&gt;
 * compare &lt;reference logits&gt; &lt;logits&gt;...
 * </pre>
 * Variants: {@code libtorch} (the package's folds, DJL's defaults as the service uses them),
 * {@code libtorch-frozen} (torch.jit.freeze'd folds), {@code onnxruntime}.
 * <p>
 * {@code served <onnxruntime|pytorch> <package> <batch> <seconds>} times the service's own forward instead
 * ({@link ServedModel} with every output the package has, as {@code chestlens.inference.cpu-engine} selects it):
 * images/s and the process's CPU time per image, which counts the engines' native threads too.
 */
public final class EngineComparison {

    private EngineComparison() {
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("compare")) {
            compare(args);
            return;
        }
        if (args[0].equals("served")) {
            served(InferenceProperties.CpuEngine.valueOf(args[1].toUpperCase(Locale.ROOT)), Path.of(args[2]),
                    Integer.parseInt(args[3]), Double.parseDouble(args[4]));
            return;
        }
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
        String variant = args[1];
        Path packageDir = Path.of(args[2]);
        Path onnxDir = Path.of(args[3]);
        int[] batches = Arrays.stream(args[4].split(",")).mapToInt(Integer::parseInt).toArray();
        double seconds = Double.parseDouble(args[5]);
        ModelManifest manifest = ModelPackageReader.read(packageDir);
        String engine = variant.equals("onnxruntime") ? "OnnxRuntime" : "PyTorch";
        List<ZooModel<NDList, NDList>> models = new ArrayList<>();
        List<Predictor<NDList, NDList>> folds = new ArrayList<>();
        for (ModelManifest.FoldFile fold : manifest.folds()) {
            String stem = fold.file().replace(".pt", "");
            Path file = switch (variant) {
                case "onnxruntime" -> onnxDir.resolve(stem + ".onnx");
                case "libtorch-frozen" -> onnxDir.resolve(stem + ".frozen.pt");
                default -> packageDir.resolve(fold.file());
            };
            ZooModel<NDList, NDList> model = Criteria.builder().setTypes(NDList.class, NDList.class)
                    .optEngine(engine).optModelPath(file).optTranslator(new NoopTranslator()).build().loadModel();
            models.add(model);
            folds.add(model.newPredictor());
        }
        int channels = manifest.inputShape().get(0);
        int side = manifest.preprocessing().centerCrop();
        try (NDManager manager = NDManager.newBaseManager(engine)) {
            writeReferenceLogits(manager, folds, packageDir, channels, side, Path.of(args[6]));
            for (int batch : batches) {
                float[] input = new float[batch * channels * side * side];
                for (int i = 0; i < input.length; i++) {
                    input[i] = ((i * 31 + batch * 17) % 255) / 255f;  // no zeros: denormals change timings
                }
                for (int w = 0; w < 3; w++) {
                    ensemble(manager, folds, input, new Shape(batch, channels, side, side));
                }
                List<Double> millis = new ArrayList<>();
                long start = System.nanoTime();
                while ((System.nanoTime() - start) / 1e9 < seconds || millis.size() < 3) {
                    long t0 = System.nanoTime();
                    ensemble(manager, folds, input, new Shape(batch, channels, side, side));
                    millis.add((System.nanoTime() - t0) / 1e6);
                }
                double total = millis.stream().mapToDouble(Double::doubleValue).sum();
                millis.sort(null);
                System.out.printf(Locale.ROOT, "RESULT %s batch %d images/s %.2f p50 %.1f ms runs %d%n", variant,
                        batch, batch * millis.size() * 1000 / total, millis.get(millis.size() / 2), millis.size());
            }
        }
        folds.forEach(Predictor::close);
        models.forEach(ZooModel::close);
    }

    private static void served(InferenceProperties.CpuEngine engine, Path packageDir, int batch, double seconds)
            throws IOException {
        DjlRuntime.configureOffline(null);
        ModelManifest manifest = ModelPackageReader.read(packageDir);
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean();
        try (ServedModel model = ServedModel.load(packageDir, manifest, ai.djl.Device.cpu(), engine, batch)) {
            int side = manifest.preprocessing().centerCrop();
            BatchModel.warmUp(model::forward, side, batch);
            List<ModelInput> inputs = new ArrayList<>();
            for (int i = 0; i < batch; i++) {
                float[] pixels = new float[side * side];
                for (int p = 0; p < pixels.length; p++) {
                    pixels[p] = ((p * 31 + i * 17) % 255) / 255f;
                }
                inputs.add(new ModelInput(pixels, side, side));
            }
            List<Double> millis = new ArrayList<>();
            long cpu0 = os.getProcessCpuTime();
            long start = System.nanoTime();
            while ((System.nanoTime() - start) / 1e9 < seconds || millis.size() < 3) {
                long t0 = System.nanoTime();
                model.forward(inputs);
                millis.add((System.nanoTime() - t0) / 1e6);
            }
            double wall = (System.nanoTime() - start) / 1e9;
            double coreMs = (os.getProcessCpuTime() - cpu0) / 1e6 / (batch * millis.size());
            millis.sort(null);
            System.out.printf(Locale.ROOT, "RESULT served-%s batch %d images/s %.2f p50 %.1f ms runs %d core-ms/image "
                    + "%.0f threads %d rss-mb %d%n", model.engine(), batch, batch * millis.size() / wall,
                    millis.get(millis.size() / 2), millis.size(), coreMs, DjlRuntime.cpuThreads(), residentMegabytes());
        }
    }

    /** The process's resident set (heap, engine natives, models), from /proc. */
    private static long residentMegabytes() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmRSS:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024).findFirst().orElse(-1);
    }

    private static float[][] ensemble(NDManager manager, List<Predictor<NDList, NDList>> folds, float[] input,
                                      Shape shape) throws Exception {
        float[][] logits = new float[folds.size()][];
        for (int f = 0; f < folds.size(); f++) {
            try (NDManager batch = manager.newSubManager()) {
                logits[f] = folds.get(f).predict(new NDList(batch.create(input, shape))).get(0).toFloatArray();
            }
        }
        return logits;
    }

    /** The reference inputs are pre-processed grey crops; the service repeats them into the model's channels. */
    private static void writeReferenceLogits(NDManager manager, List<Predictor<NDList, NDList>> folds, Path packageDir,
                                             int channels, int side, Path out) throws Exception {
        List<Path> inputs;
        try (Stream<Path> files = Files.list(packageDir.resolve("reference"))) {
            inputs = files.filter(p -> p.toString().endsWith(".input.f32")).sorted().toList();
        }
        int plane = side * side;
        float[] batch = new float[inputs.size() * channels * plane];
        for (int i = 0; i < inputs.size(); i++) {
            float[] grey = floats(Files.readAllBytes(inputs.get(i)));
            for (int c = 0; c < channels; c++) {
                System.arraycopy(grey, 0, batch, (i * channels + c) * plane, plane);
            }
        }
        float[][] logits = ensemble(manager, folds, batch, new Shape(inputs.size(), channels, side, side));
        ByteBuffer buffer = ByteBuffer.allocate(4 * logits.length * logits[0].length).order(ByteOrder.LITTLE_ENDIAN);
        for (float[] fold : logits) {
            for (float v : fold) {
                buffer.putFloat(v);
            }
        }
        Files.write(out, buffer.array());
    }

    private static void compare(String[] args) throws IOException {
        float[] reference = floats(Files.readAllBytes(Path.of(args[1])));
        for (int i = 2; i < args.length; i++) {
            float[] other = floats(Files.readAllBytes(Path.of(args[i])));
            double worst = 0;
            for (int k = 0; k < reference.length; k++) {
                worst = Math.max(worst, Math.abs(reference[k] - other[k]));
            }
            System.out.printf(Locale.ROOT, "PARITY %s max |logit difference| %.2e over %d logits%s%n",
                    Path.of(args[i]).getFileName(), worst, reference.length, worst <= 1e-4 ? "" : "  EXCEEDS 1e-4");
        }
    }

    private static float[] floats(byte[] bytes) {
        float[] values = new float[bytes.length / 4];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        return values;
    }
}
