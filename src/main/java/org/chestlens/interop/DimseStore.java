package org.chestlens.interop;

import java.time.Duration;
import java.util.List;

import org.chestlens.ingest.IngestProperties;
import org.chestlens.ingest.IngestService;
import org.chestlens.ingest.UploadBudget;
import org.chestlens.ingest.UploadRejectedException;
import org.chestlens.platform.DatabaseAvailability;
import org.chestlens.platform.security.NetworkPeerAudit;
import org.chestlens.prediction.ImageView;
import org.chestlens.prediction.Priority;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.stereotype.Service;

/**
 * Stores one instance received by C-STORE through the same path as an upload ({@link IngestService}):
 * the same validation and pre-check, the same dedupe by SOP Instance UID, the same queue capacity and
 * decode slots, and the image and its scoring job committed before the status is returned, so that a
 * Success the sender sees means the instance will be scored, even across a crash. The data set is
 * wrapped into the Part 10 file the sender would have uploaded (file meta information naming the
 * negotiated transfer syntax). Each instance leaves an audit row naming the calling AE title.
 */
@Service
class DimseStore {

    private static final Logger log = LoggerFactory.getLogger(DimseStore.class);
    static final String ACTION = "dicom.c-store";

    /** The status for the sender, the Error Comment with it (null when none), and the image stored. */
    record Answer(int status, String comment, String imageId) {
    }

    /** One received C-STORE request; {@code priority} from the command's Priority (HIGH: stat). */
    record Request(String callingAeTitle, String calledAeTitle, String remoteAddress, String sopClassUid,
                   String sopInstanceUid, String transferSyntaxUid, byte[] dataSet, boolean dataSetTooLarge,
                   Priority priority) {
    }

    private final IngestService ingest;
    private final UploadBudget budget;
    private final IngestProperties properties;
    private final NetworkPeerAudit audit;

    DimseStore(IngestService ingest, UploadBudget budget, IngestProperties properties, NetworkPeerAudit audit) {
        this.ingest = ingest;
        this.budget = budget;
        this.properties = properties;
        this.audit = audit;
    }

    Answer store(Request request) {
        Answer answer = answer(request);
        NetworkPeerAudit.Outcome outcome = DimseStatus.success(answer.status()) ? NetworkPeerAudit.Outcome.SUCCESS
                : answer.status() == DimseStatus.PROCESSING_FAILURE ? NetworkPeerAudit.Outcome.ERROR
                : NetworkPeerAudit.Outcome.REJECTED;
        try {
            audit.record(request.callingAeTitle(), ACTION, "dicom:" + request.calledAeTitle(),
                    answer.imageId() == null ? List.of() : List.of(answer.imageId()), request.remoteAddress(),
                    answer.status(), outcome);
        } catch (RuntimeException e) {
            // The instance is stored (or refused) either way; a lost audit row must not change its status.
            log.warn("C-STORE audit row not written: {}", e.toString());
        }
        return answer;
    }

    private Answer answer(Request request) {
        if (!StoragePresentationContexts.STORAGE_SOP_CLASSES.contains(request.sopClassUid())) {
            return new Answer(DimseStatus.SOP_CLASS_NOT_SUPPORTED, "SOP Class not accepted here", null);
        }
        if (request.dataSetTooLarge()) {
            return new Answer(DimseStatus.OUT_OF_RESOURCES, "Larger than " + properties.maxBodySize(), null);
        }
        byte[] file = DimseEncoding.part10(request.sopClassUid(), request.sopInstanceUid(),
                request.transferSyntaxUid(), request.callingAeTitle(), request.dataSet());
        try (UploadBudget.Lease lease = budget.acquire(file.length)) {
            IngestService.InstanceIds ids = ingest.identify(file);
            if (ids.readable() && (!request.sopInstanceUid().equals(ids.sopInstanceUid())
                    || !request.sopClassUid().equals(ids.sopClassUid()))) {
                return new Answer(DimseStatus.DATA_SET_DOES_NOT_MATCH,
                        "SOP Class or Instance UID differs from the command's", null);
            }
            IngestService.Result result = ingest.ingest(List.of(new IngestService.Upload("C-STORE", file)), null,
                    Duration.ZERO, null, request.priority());
            ImageView image = result.images().get(0);
            if (!image.warnings().isEmpty()) {
                return new Answer(DimseStatus.WARNING, String.join("; ", image.warnings()), image.id().toString());
            }
            return new Answer(DimseStatus.SUCCESS, null, image.id().toString());
        } catch (UploadRejectedException rejected) {
            return new Answer(DimseStatus.of(rejected.reason()), rejected.detail(), null);
        } catch (RuntimeException unexpected) {
            if (unexpected instanceof TransientDataAccessException || DatabaseAvailability.isOutage(unexpected)) {
                // The database is away for a moment: nothing was committed, the sender may retry.
                log.warn("C-STORE refused, database unavailable: {}", unexpected.getClass().getSimpleName());
                return new Answer(DimseStatus.OUT_OF_RESOURCES, "Storage temporarily unavailable", null);
            }
            log.error("C-STORE from {} could not be stored", request.callingAeTitle(), unexpected);
            return new Answer(DimseStatus.PROCESSING_FAILURE, "Not stored", null);
        }
    }
}
