package org.chestlens.interop.pacs;

import org.chestlens.interop.outbox.OutboxTable;

/** Sends one DICOM object to one destination; one attempt, never throws. Used by one worker thread at a time. */
interface PacsSender {

    OutboxTable.Outcome send(DicomObject object);

    static double millis(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e6;
    }
}
