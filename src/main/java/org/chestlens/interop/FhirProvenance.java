package org.chestlens.interop;

import static org.chestlens.interop.FhirElements.DICOM_UID;
import static org.chestlens.interop.FhirElements.URI_IDENTIFIER;
import static org.chestlens.interop.FhirElements.blankToNull;
import static org.chestlens.interop.FhirElements.narrative;
import static org.chestlens.interop.FhirElements.ref;
import static org.chestlens.interop.FhirElements.uuid;

import java.util.Date;
import java.util.List;

import org.chestlens.prediction.DicomAttributes;
import org.chestlens.prediction.ImageView;
import org.chestlens.prediction.PredictionView;
import org.hl7.fhir.r4.model.Annotation;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Device;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.InstantType;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Reference;

/** Where a result came from: the model as a Device (id, version, fold checksums) and a Provenance naming the image. */
final class FhirProvenance {

    static final String PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type";
    static final String DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation";
    static final String MODEL_IDENTIFIER_SYSTEM = "urn:chestlens:fhir:model-id";

    private FhirProvenance() {
    }

    static Device device(PredictionView p) {
        PredictionView.ModelRef model = p.model();
        Device device = new Device();
        device.setId(uuid(p.id(), "device").toString());
        device.addIdentifier().setSystem(MODEL_IDENTIFIER_SYSTEM).setValue(model.id());
        device.setStatus(Device.FHIRDeviceStatus.ACTIVE);
        device.addDeviceName().setName(model.id()).setType(Device.DeviceNameType.MODELNAME);
        device.setType(new CodeableConcept().setText(
                "AI model: InnerEye hierarchical chest X-ray classifier (cross-validation ensemble)"));
        device.addVersion().setType(new CodeableConcept().setText("model version")).setValue(model.version());
        // Each fold's weights, as a component version: the SHA-256 the service verified at start-up.
        List<String> checksums = model.foldChecksums();
        for (int k = 0; k < checksums.size(); k++) {
            device.addVersion().setType(new CodeableConcept().setText("fold weights SHA-256"))
                    .setComponent(new Identifier().setValue("fold-" + k)).setValue(checksums.get(k));
        }
        if (!model.trained()) {
            device.addNote(new Annotation().setText("Untrained model: randomly initialised weights."));
        }
        if (p.notice() != null) {
            device.addNote(new Annotation().setText(p.notice()));
        }
        device.setText(narrative("AI model " + model.id() + " version " + model.version() + ", " + checksums.size()
                + " cross-validation fold(s)" + (model.trained() ? "" : ", untrained")
                + (p.notice() == null ? "." : ". " + p.notice())));
        return device;
    }

    static Provenance provenance(PredictionView p, ImageView image, DiagnosticReport report,
                                         List<Observation> observations, Device device) {
        Provenance provenance = new Provenance();
        provenance.setId(uuid(p.id(), "provenance").toString());
        provenance.addTarget(ref(report));
        observations.forEach(o -> provenance.addTarget(ref(o)));
        provenance.setRecordedElement(new InstantType(Date.from(p.createdAt())));
        provenance.setActivity(new CodeableConcept(new Coding(DATA_OPERATION, "CREATE", "create")));
        provenance.addAgent()
                .setType(new CodeableConcept(new Coding(PARTICIPANT_TYPE, "author", "Author")))
                .setWho(ref(device));
        provenance.addAgent()
                .setType(new CodeableConcept(new Coding(PARTICIPANT_TYPE, "assembler", "Assembler")))
                .setWho(new Reference().setDisplay("chestlens service (image ingest, inference, FHIR results)"));
        provenance.addEntity().setRole(Provenance.ProvenanceEntityRole.SOURCE).setWhat(imageReference(image));
        provenance.setText(narrative("Created by AI model " + p.model().id() + " " + p.model().version() + " from "
                + provenance.getEntityFirstRep().getWhat().getDisplay() + " at " + p.createdAt() + "."));
        return provenance;
    }

    /**
     * The scored image. A DICOM image by its SOP Instance UID, which PACS and EHR know; a PNG has no
     * identifier outside this service, so by its chestlens image id and content hash.
     */
    static Reference imageReference(ImageView image) {
        DicomAttributes dicom = image.dicom();
        if (dicom != null && blankToNull(dicom.sopInstanceUid()) != null) {
            return new Reference().setIdentifier(new Identifier().setSystem(DICOM_UID)
                            .setValue("urn:oid:" + dicom.sopInstanceUid()))
                    .setDisplay("DICOM instance (chestlens image " + image.id() + ")");
        }
        return new Reference().setIdentifier(new Identifier().setSystem(URI_IDENTIFIER)
                        .setValue("urn:uuid:" + image.id()))
                .setDisplay(image.format() + " image, SHA-256 " + image.sha256());
    }

}
