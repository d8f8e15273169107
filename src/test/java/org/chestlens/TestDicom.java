package org.chestlens;

import java.io.ByteArrayOutputStream;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.TransferSyntax;

/** Writing test data sets as DICOM Part 10 files. */
public final class TestDicom {

    private TestDicom() {
    }

    /**
     * The data set as a Part 10 file in Explicit VR Little Endian, with fresh file meta information (group lengths
     * and the old meta header dropped).
     */
    public static byte[] part10(AttributeList list) {
        try {
            list.removeGroupLengthAttributes();
            list.removeMetaInformationHeaderAttributes();
            FileMetaInformation.addFileMetaInformation(list, TransferSyntax.ExplicitVRLittleEndian, "CHESTLENSTEST");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            list.write(out, TransferSyntax.ExplicitVRLittleEndian, true, true);
            return out.toByteArray();
        } catch (DicomException | java.io.IOException e) {
            throw new IllegalStateException("cannot write a test data set", e);
        }
    }
}
