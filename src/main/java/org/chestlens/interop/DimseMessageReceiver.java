package org.chestlens.interop;

import java.io.ByteArrayOutputStream;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.network.Association;
import com.pixelmed.network.CompositeResponseHandler;
import com.pixelmed.network.DicomNetworkException;
import com.pixelmed.network.PDataPDU;
import com.pixelmed.network.PresentationDataValue;

/**
 * Collects one DIMSE request message (its command set and, if it has one, its data set) from the P-DATA
 * PDUs of an association. PixelMed's own storage SCP answers every C-STORE with Success before its
 * handler can object, so the receiver reads messages with this handler instead and answers each one
 * itself. (PixelMed's {@code ReceivedDataHandler} cannot be extended outside its package;
 * {@link CompositeResponseHandler}, its public subclass, can, and its dispatch is replaced whole.)
 *
 * <p>A data set longer than {@code maxDataSetBytes} is read to its end and thrown away, so the
 * association stays usable and the sender gets a status for it.
 */
final class DimseMessageReceiver extends CompositeResponseHandler {

    static final String IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2";
    private static final AttributeTag COMMAND_FIELD = new AttributeTag(0x0000, 0x0100);
    private static final AttributeTag COMMAND_DATA_SET_TYPE = new AttributeTag(0x0000, 0x0800);
    private static final int NO_DATA_SET = 0x0101;
    /** Command sets are a few hundred bytes; a sender that sends more is not speaking DIMSE. */
    private static final int MAX_COMMAND_BYTES = 64 * 1024;

    private final long maxDataSetBytes;
    private final ByteArrayOutputStream command = new ByteArrayOutputStream();
    private final ByteArrayOutputStream data = new ByteArrayOutputStream();
    private AttributeList commandList;
    private byte presentationContextId;
    private boolean dataSetTooLarge;

    DimseMessageReceiver(long maxDataSetBytes) {
        this.maxDataSetBytes = maxDataSetBytes;
    }

    @Override
    public void sendPDataIndication(PDataPDU pdu, Association association)
            throws DicomNetworkException, DicomException, java.io.IOException {
        for (Object item : pdu.getPDVList()) {
            PresentationDataValue pdv = (PresentationDataValue) item;
            presentationContextId = pdv.getPresentationContextID();
            byte[] value = pdv.getValue();
            if (pdv.isCommand()) {
                if (commandList != null || command.size() + (long) value.length > MAX_COMMAND_BYTES) {
                    throw new DicomNetworkException("Unexpected or oversized command set");
                }
                command.writeBytes(value);
                if (pdv.isLastFragment()) {
                    commandList = getAttributeListFromCommandOrData(command.toByteArray(), IMPLICIT_VR_LITTLE_ENDIAN);
                    if (integer(COMMAND_DATA_SET_TYPE) == NO_DATA_SET) {
                        setDone(true);
                    }
                }
            } else {
                if (commandList == null) {
                    throw new DicomNetworkException("Data set before its command");
                }
                if (!dataSetTooLarge && data.size() + (long) value.length > maxDataSetBytes) {
                    dataSetTooLarge = true;
                    data.reset();
                }
                if (!dataSetTooLarge) {
                    data.writeBytes(value);
                }
                if (pdv.isLastFragment()) {
                    setDone(true);
                }
            }
        }
    }

    @Override
    protected void evaluateStatusAndSetSuccess(AttributeList list) {
        // not used: sendPDataIndication is replaced whole
    }

    int commandField() {
        return integer(COMMAND_FIELD);
    }

    int integer(AttributeTag tag) {
        return Attribute.getSingleIntegerValueOrDefault(commandList, tag, -1);
    }

    String string(AttributeTag tag) {
        String value = Attribute.getSingleStringValueOrNull(commandList, tag);
        return value == null ? null : value.strip();
    }

    byte presentationContextId() {
        return presentationContextId;
    }

    boolean dataSetTooLarge() {
        return dataSetTooLarge;
    }

    byte[] dataSet() {
        return data.toByteArray();
    }
}
