package org.chestlens.ingest;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import org.chestlens.inference.EnsemblePrediction;
import org.chestlens.inference.InferenceService;
import org.chestlens.inference.ModelInfo;
import org.chestlens.inference.ModelInput;
import org.chestlens.prediction.ImageView;
import org.chestlens.prediction.NewImage;
import org.chestlens.prediction.NewPrediction;
import org.chestlens.prediction.PredictionStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

/**
 * Accepts uploaded files: validates and decodes every file of a request before anything is
 * stored, scores the new ones, and stores images and predictions in one transaction, so a request
 * with one bad file leaves nothing behind.
 */
@Service
public class IngestService {

    private static final Logger log = LoggerFactory.getLogger(IngestService.class);

    /** One uploaded file: its bytes and a label for messages that carries no file name. */
    public record Upload(String label, byte[] bytes) {
    }

    private final InferenceService inference;
    private final PredictionStore store;
    private final IngestProperties properties;
    private final Semaphore decodeSlots;

    IngestService(InferenceService inference, PredictionStore store, IngestProperties properties) {
        this.inference = inference;
        this.store = store;
        this.properties = properties;
        this.decodeSlots = new Semaphore(properties.maxConcurrentDecodes(), true);
    }

    public List<ImageView> ingest(List<Upload> uploads) {
        if (uploads.size() > properties.maxFilesPerRequest()) {
            throw UploadRejected.tooManyFiles(uploads.size(), properties.maxFilesPerRequest());
        }
        ModelInfo model = inference.defaultModel();
        InnerEyePreprocessor preprocessor = new InnerEyePreprocessor(model.preprocessing().resize(),
                model.preprocessing().centerCrop());

        // Everything is validated and decoded before anything is stored or scored.
        List<String> hashes = new ArrayList<>(uploads.size());
        List<Prepared> toScore = new ArrayList<>();
        for (Upload upload : uploads) {
            checkFormat(upload);
            String sha256 = sha256(upload.bytes());
            hashes.add(sha256);
            if (store.findScored(sha256, model.id(), model.version()).isEmpty()) {
                toScore.add(prepare(upload, sha256, preprocessor));
            }
        }

        List<EnsemblePrediction> predictions = toScore.isEmpty() ? List.of()
                : inference.predict(model.id(), toScore.stream().map(Prepared::input).toList());
        List<PredictionStore.Submission> submissions = new ArrayList<>(toScore.size());
        for (int i = 0; i < toScore.size(); i++) {
            submissions.add(new PredictionStore.Submission(toScore.get(i).image(),
                    toNewPrediction(model, predictions.get(i), toScore.get(i).decodeMillis())));
        }
        store.store(submissions);

        List<ImageView> result = new ArrayList<>(hashes.size());
        for (String sha256 : hashes) {
            result.add(store.findScored(sha256, model.id(), model.version()).orElseThrow());
        }
        log.info("Upload of {} file(s): {} scored by {} {}, {} already known", hashes.size(), toScore.size(),
                model.id(), model.version(), hashes.size() - toScore.size());
        return result;
    }

    private record Prepared(NewImage image, ModelInput input, double decodeMillis) {
    }

    private static void checkFormat(Upload upload) {
        if (upload.bytes().length == 0) {
            throw UploadRejected.emptyFile(upload.label());
        }
        if (!PngDecoder.isPng(upload.bytes())) {
            throw UploadRejected.unsupportedFormat(upload.label());
        }
    }

    private Prepared prepare(Upload upload, String sha256, InnerEyePreprocessor preprocessor) {
        byte[] bytes = upload.bytes();
        acquireDecodeSlot();
        try {
            long start = System.nanoTime();
            GreyImage grey = PngDecoder.decode(bytes, upload.label(), properties.maxPixels());
            ModelInput input = preprocessor.apply(grey);
            if (input == null) {
                throw UploadRejected.noContrast(upload.label());
            }
            double decodeMillis = (System.nanoTime() - start) / 1e6;
            NewImage image = new NewImage(sha256, "PNG", bytes.length, grey.width(), grey.height(),
                    grey.bitDepth(), grey.colourType(), List.of());
            return new Prepared(image, input, decodeMillis);
        } finally {
            decodeSlots.release();
        }
    }

    private void acquireDecodeSlot() {
        try {
            if (!decodeSlots.tryAcquire(properties.decodeSlotWait().toMillis(), TimeUnit.MILLISECONDS)) {
                throw UploadRejected.busy(Math.max(1, properties.decodeSlotWait().toSeconds()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw UploadRejected.busy(1);
        }
    }

    private static NewPrediction toNewPrediction(ModelInfo model, EnsemblePrediction p, double decodeMillis) {
        return new NewPrediction(model.id(), model.version(), p.probabilities(), p.predictedClass(),
                p.subTaskScores().cvx03vs12(), p.subTaskScores().cvx0vs3(), p.subTaskScores().cvx1vs2(),
                p.confidence(), p.foldSpread(), decodeMillis, p.waitMillis(), p.inferenceMillis());
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
