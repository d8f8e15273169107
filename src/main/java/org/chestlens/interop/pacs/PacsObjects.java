package org.chestlens.interop.pacs;

import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.chestlens.prediction.DicomAttributes;
import org.chestlens.prediction.HeatMapPictures;
import org.chestlens.prediction.ImageView;
import org.chestlens.prediction.PredictionStore;
import org.chestlens.prediction.PredictionView;
import org.springframework.stereotype.Service;

/**
 * Builds the DICOM objects that carry a prediction back into its study: the Comprehensive SR and the
 * heat-map Secondary Capture, each as a Part 10 file, from what is stored (prediction, image attributes,
 * model view and maps) and the patient module the caller gives. Read-only and deterministic: the same
 * prediction gives the same UIDs and bytes, so the endpoints and a later outbox (STOW-RS, C-STORE) can
 * build an object whenever they need it, and a receiver that gets it twice holds one instance.
 */
@Service
public class PacsObjects {

    /** When the stored SOP Class UID is missing (images stored before it was kept), the one the Modality implies. */
    static final Map<String, String> SOP_CLASS_BY_MODALITY = Map.of(
            "CR", "1.2.840.10008.5.1.4.1.1.1",
            "DX", "1.2.840.10008.5.1.4.1.1.1.1");

    private final PredictionStore store;
    private final HeatMapPictures pictures;

    PacsObjects(PredictionStore store, HeatMapPictures pictures) {
        this.store = store;
        this.pictures = pictures;
    }

    /**
     * The SR of a prediction; empty when there is no such prediction.
     *
     * @throws ObjectUnavailable NO_STUDY for a prediction of a PNG upload
     */
    public Optional<DicomObject> structuredReport(UUID predictionId, PatientModule patient) {
        return store.prediction(predictionId).map(p -> {
            Source source = source(p);
            // The reliability text may change when another error analysis becomes active; a changed
            // document is a new SOP instance (PS3.4: same UID, same content), in the same series.
            String sop = DicomUids.of(p.id(), "sr-instance" + (p.reliability() == null ? ""
                    : ":" + p.reliability().analysisId() + ":" + p.reliability().summary()));
            String series = DicomUids.of(p.id(), "sr-series");
            byte[] bytes = DicomHeaders.part10(ResultStructuredReport.build(p, source.dicom(), source.sopClassUid(),
                    patient, sop, series));
            return new DicomObject(bytes, ResultStructuredReport.SOP_CLASS, sop, source.dicom().studyInstanceUid(),
                    series);
        });
    }

    /**
     * The heat-map Secondary Capture of a prediction; empty when there is no such prediction.
     *
     * @throws ObjectUnavailable NO_STUDY for a PNG upload, NO_HEAT_MAP when the model has no class activation
     *                           maps, NO_MODEL_VIEW when the model view was not kept or has expired
     */
    public Optional<DicomObject> secondaryCapture(UUID predictionId, PatientModule patient) {
        return store.prediction(predictionId).map(p -> {
            Source source = source(p);
            HeatMapPictures.Picture picture = pictures.ofPredictedClass(p.id(), HeatMapSecondaryCapture.SCALE,
                    HeatMapSecondaryCapture.captions(p)).orElseThrow();
            if (picture.missing() == HeatMapPictures.Missing.NO_MAPS) {
                throw new ObjectUnavailable(ObjectUnavailable.Reason.NO_HEAT_MAP, "Model " + p.model().id() + " "
                        + p.model().version() + " stores no class activation maps (model package format 1), so "
                        + "prediction " + p.id() + " has no heat map to capture.");
            }
            if (picture.missing() == HeatMapPictures.Missing.NO_MODEL_VIEW) {
                throw new ObjectUnavailable(ObjectUnavailable.Reason.NO_MODEL_VIEW, "The model view of image "
                        + p.imageId() + " was not kept or has expired (chestlens.retention.model-view), so there "
                        + "is no picture to draw the heat map on.");
            }
            String sop = DicomUids.of(p.id(), "sc-instance");
            String series = DicomUids.of(p.id(), "sc-series");
            byte[] bytes = DicomHeaders.part10(HeatMapSecondaryCapture.build(p, picture, source.dicom(),
                    source.sopClassUid(), patient, sop, series));
            return new DicomObject(bytes, HeatMapSecondaryCapture.SOP_CLASS, sop, source.dicom().studyInstanceUid(),
                    series);
        });
    }

    private record Source(DicomAttributes dicom, String sopClassUid) {
    }

    /** The scored image's study and identity; a PNG upload (or DICOM without the UIDs) has no study to join. */
    private Source source(PredictionView p) {
        ImageView image = store.image(p.imageId()).orElseThrow(
                () -> new IllegalStateException("Prediction " + p.id() + " has no image"));
        DicomAttributes dicom = image.dicom();
        String sopClass = dicom == null ? null : dicom.sopClassUid() != null ? dicom.sopClassUid()
                : SOP_CLASS_BY_MODALITY.get(dicom.modality());
        if (dicom == null || dicom.studyInstanceUid() == null || dicom.seriesInstanceUid() == null
                || dicom.sopInstanceUid() == null || sopClass == null) {
            throw new ObjectUnavailable(ObjectUnavailable.Reason.NO_STUDY, "Prediction " + p.id() + " is of "
                    + (dicom == null ? "a PNG upload" : "a DICOM upload without Study, Series and SOP Instance and "
                    + "SOP Class UIDs") + ": there is no DICOM study to file a result object into.");
        }
        return new Source(dicom, sopClass);
    }
}
