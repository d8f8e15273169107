package org.chestlens.interop.pacs;

import java.io.ByteArrayInputStream;
import java.time.Instant;
import java.util.LinkedList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomInputStream;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.TransferSyntax;
import com.pixelmed.network.Association;
import com.pixelmed.network.AssociationFactory;
import com.pixelmed.network.CStoreRequestCommandMessage;
import com.pixelmed.network.CompositeResponseHandler;
import com.pixelmed.network.DicomNetworkException;
import com.pixelmed.network.PresentationContext;
import org.chestlens.interop.outbox.Backoff;
import org.chestlens.interop.outbox.OutboxTable;
import org.chestlens.interop.outbox.OutboxTable.Verdict;

/**
 * DIMSE C-STORE with PixelMed's network layer: one association per object (explicit or implicit VR little
 * endian), one C-STORE-RQ, the response's status, release. This is what PixelMed's StorageSOPClassSCU does
 * inside, written out because that class keeps the response status to itself and answers only success or not,
 * and the attempt log must say which status (0xA700 out of resources, 0xA9xx data set does not match, 0xC000
 * cannot understand...). Success and the warnings 0xB000, 0xB006 and 0xB007 are delivered; 0xA7xx (out of
 * resources) and no answer are retried; any other failure status refuses this very object: FAILED at once.
 * An association that outlives the destination's timeout is aborted.
 */
final class CStoreSender implements PacsSender {

    private static final int UNKNOWN = -1;

    private final PacsProperties.Destination destination;
    private final ScheduledExecutorService watchdog;

    CStoreSender(PacsProperties.Destination destination, ScheduledExecutorService watchdog) {
        this.destination = destination;
        this.watchdog = watchdog;
    }

    @Override
    public OutboxTable.Outcome send(DicomObject object) {
        Instant attemptedAt = Instant.now();
        long start = System.nanoTime();
        Association association = null;
        ScheduledFuture<?> abort = null;
        try {
            AttributeList list = new AttributeList();
            list.read(new DicomInputStream(new ByteArrayInputStream(object.part10())));
            list.removeMetaInformationHeaderAttributes();
            list.removeGroupLengthAttributes();
            LinkedList<PresentationContext> contexts = new LinkedList<>();
            contexts.add(new PresentationContext((byte) 1, object.sopClassUid(), TransferSyntax.ExplicitVRLittleEndian));
            contexts.add(new PresentationContext((byte) 3, object.sopClassUid(), TransferSyntax.ImplicitVRLittleEndian));
            association = AssociationFactory.createNewAssociation(destination.host(), destination.port(),
                    destination.calledAeTitle(), destination.callingAeTitle(), contexts, null, false);
            Association held = association;
            abort = watchdog.schedule(() -> abortQuietly(held), destination.timeout().toMillis(),
                    TimeUnit.MILLISECONDS);
            byte context = association.getSuitablePresentationContextID(object.sopClassUid());
            String transferSyntax = association.getTransferSyntaxForPresentationContextID(context);
            StatusHandler handler = new StatusHandler();
            association.setReceivedDataHandler(handler);
            // The command alone, then the data set through the association's stream, which cuts it into PDUs
            // of the size the SCP accepts (send() with the data would put it all in one, and Orthanc aborts).
            association.send(context, new CStoreRequestCommandMessage(object.sopClassUid(), object.sopInstanceUid())
                    .getBytes(), null);
            list.write(association.getAssociationOutputStream(context), transferSyntax, false, true, false);
            association.waitForCommandPDataPDUs();
            association.release();
            association = null;
            return judge(handler.dimseStatus, PacsSender.millis(start), attemptedAt);
        } catch (Exception e) {
            return new OutboxTable.Outcome(Verdict.RETRY, null, Backoff.describe(e), PacsSender.millis(start),
                    attemptedAt);
        } finally {
            if (abort != null) {
                abort.cancel(false);
            }
            if (association != null) {
                abortQuietly(association);
            }
        }
    }

    private static OutboxTable.Outcome judge(int status, double millis, Instant attemptedAt) {
        if (status == UNKNOWN) {
            return new OutboxTable.Outcome(Verdict.RETRY, null, "no C-STORE response", millis, attemptedAt);
        }
        String answer = String.format("DIMSE 0x%04X", status);
        if (status == 0x0000 || status == 0xB000 || status == 0xB006 || status == 0xB007) {
            return new OutboxTable.Outcome(Verdict.DELIVERED, answer, null, millis, attemptedAt);
        }
        boolean outOfResources = (status & 0xFF00) == 0xA700;
        return new OutboxTable.Outcome(outOfResources ? Verdict.RETRY : Verdict.REJECTED, answer,
                answer + (outOfResources ? " (out of resources)" : " (refused)"), millis, attemptedAt);
    }

    private static void abortQuietly(Association association) {
        try {
            association.abort();
        } catch (DicomNetworkException | RuntimeException ignored) {
            // closing anyway
        }
    }

    /** Keeps the C-STORE response's Status (0000,0900), which PixelMed's own handler does not give out. */
    private static final class StatusHandler extends CompositeResponseHandler {
        volatile int dimseStatus = UNKNOWN;

        @Override
        protected void evaluateStatusAndSetSuccess(AttributeList list) {
            dimseStatus = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.Status, UNKNOWN);
            success = dimseStatus == 0x0000;
        }
    }
}
