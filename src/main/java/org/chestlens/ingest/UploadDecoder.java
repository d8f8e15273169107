package org.chestlens.ingest;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import org.chestlens.inference.ModelInput;
import org.chestlens.platform.CpuStages;
import org.chestlens.platform.CpuStages.Stage;
import org.chestlens.prediction.NewImage;
import org.chestlens.prediction.PatientHeader;
import org.chestlens.prediction.PendingImage;

/**
 * Turns one uploaded file into what a scoring job needs: the image's stored description and the
 * model's input. Decoding is the memory- and CPU-heavy step of an upload, so at most
 * {@code chestlens.ingest.max-concurrent-decodes} run at once; a request that finds no slot within
 * {@code decode-slot-wait} is refused as busy rather than queued without bound.
 */
final class UploadDecoder {

    private final IngestProperties properties;
    private final PatientIdHasher patientIds;
    private final InputGate gate;
    private final Semaphore decodeSlots;

    UploadDecoder(IngestProperties properties, PatientIdHasher patientIds, InputGate gate) {
        this.properties = properties;
        this.patientIds = patientIds;
        this.gate = gate;
        this.decodeSlots = new Semaphore(properties.maxConcurrentDecodes(), true);
        // before any upload, C-STORE or STOW-RS instance is checked: the pre-check asks for the 12-bit JPEG shim
        NativeCodecs.useNativeDir(properties.nativeDir());
    }

    static void checkFormat(IngestService.Upload upload) {
        if (upload.bytes().length == 0) {
            throw UploadRejected.emptyFile(upload.label());
        }
        if (!PngDecoder.isPng(upload.bytes()) && !DicomDecoder.isDicom(upload.bytes())) {
            throw UploadRejected.unsupportedFormat(upload.label());
        }
    }

    PendingImage prepare(IngestService.Upload upload, String sha256, InnerEyePreprocessor preprocessor,
                         String subjectReference) {
        byte[] bytes = upload.bytes();
        acquireDecodeSlot();
        try {
            long start = System.nanoTime();
            NewImage image;
            GreyImage grey;
            PatientHeader patient = null;
            if (PngDecoder.isPng(bytes)) {
                grey = PngDecoder.decode(bytes, upload.label(), properties.maxPixels());
                CpuStages.lap(Stage.DECODE);
                List<String> warnings = gate.apply(upload.label(), gate.pixelFindings(grey));
                CpuStages.lap(Stage.GATE);
                image = new NewImage(sha256, "PNG", bytes.length, grey.width(), grey.height(), grey.bitDepth(),
                        grey.colourType(), warnings);
            } else {
                DicomDecoder.DecodedDicom dicom = DicomDecoder.decode(bytes, upload.label(), properties.maxPixels());
                CpuStages.lap(Stage.DECODE);
                List<InputGate.Finding> findings = new ArrayList<>(dicom.findings());
                findings.addAll(gate.pixelFindings(dicom.image()));
                List<String> warnings = gate.apply(upload.label(), findings);
                CpuStages.lap(Stage.GATE);
                grey = dicom.innerEyeValues();
                image = new NewImage(sha256, "DICOM", bytes.length, grey.width(), grey.height(),
                        dicom.metadata().bitsStored(), "GREY", warnings, dicom.metadata(),
                        patientIds.hash(dicom.patientId()));
                patient = dicom.patient();
            }
            CpuStages.lap(Stage.DECODE);
            ModelInput input = preprocessor.apply(grey);
            CpuStages.lap(Stage.PREPROCESS);
            if (input == null) {
                throw UploadRejected.noContrast(upload.label());
            }
            double decodeMillis = (System.nanoTime() - start) / 1e6;
            return new PendingImage(image.withSubjectReference(subjectReference), input.pixels(), input.height(),
                    input.width(), decodeMillis, patient);
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
}
