package org.chestlens.ingest;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.NativeLongByReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Debian's libdeflate ({@code libdeflate0}), called through JNA, to inflate a PNG's image data: a 1024 x 1024 8-bit
 * radiograph PNG in 2.5 ms against 3.9 in {@code java.util.zip.Inflater} with Debian's zlib (bench/README.md, "Cost
 * per image"), the largest single item of the CPU an upload costs outside the model. It inflates a whole zlib
 * stream into a buffer of the exact size in one call and checks the stream's Adler-32; anything else (the library
 * missing, a stream that is damaged, longer or shorter than the image, a checksum that does not match) is left to
 * the {@code Inflater} path, whose answer for such a file does not change. Deflate is deterministic: where both
 * succeed the bytes are the same.
 */
final class Libdeflate {

    private static final Logger log = LoggerFactory.getLogger(Libdeflate.class);
    private static final int SUCCESS = 0;

    /** libdeflate.h, 1.x; size_t is NativeLong on Linux. */
    interface Api extends Library {
        Pointer libdeflate_alloc_decompressor();

        void libdeflate_free_decompressor(Pointer decompressor);

        int libdeflate_zlib_decompress(Pointer decompressor, byte[] in, NativeLong inBytes, byte[] out,
                                       NativeLong outBytesAvailable, NativeLongByReference actualOutBytes);
    }

    private static final Api LIBRARY = load();

    private Libdeflate() {
    }

    @SuppressWarnings("java:S1181") // UnsatisfiedLinkError and JNA's own errors mean "not installed"
    private static Api load() {
        try {
            return Native.load("libdeflate.so.0", Api.class);
        } catch (Throwable e) {
            log.info("libdeflate not available ({}: {}): PNG image data is inflated by java.util.zip, about 1.5 "
                    + "times slower; install the Debian package libdeflate0", e.getClass().getSimpleName(), e.getMessage());
            return null;
        }
    }

    static boolean available() {
        return LIBRARY != null;
    }

    /**
     * Inflates the zlib stream {@code in} into {@code out}; true only when the stream is whole, its checksum
     * right, and it holds exactly {@code out.length} bytes. The decompressor is not thread-safe: one per call.
     */
    static boolean inflateExactly(byte[] in, byte[] out) {
        if (LIBRARY == null) {
            return false;
        }
        Pointer decompressor = LIBRARY.libdeflate_alloc_decompressor();
        if (decompressor == null) {
            return false;
        }
        try {
            NativeLongByReference actual = new NativeLongByReference();
            int result = LIBRARY.libdeflate_zlib_decompress(decompressor, in, new NativeLong(in.length), out,
                    new NativeLong(out.length), actual);
            return result == SUCCESS && actual.getValue().longValue() == out.length;
        } finally {
            LIBRARY.libdeflate_free_decompressor(decompressor);
        }
    }
}
