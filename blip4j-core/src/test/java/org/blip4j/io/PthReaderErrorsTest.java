package org.blip4j.io;

import static org.blip4j.io.IoFixtures.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every kind of bad input ends in one CheckpointFormatException naming the file and the problem. */
class PthReaderErrorsTest {
    @TempDir
    Path tmp;

    private static void assertContains(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), "expected '" + p + "' in: " + message);
        }
    }

    private static byte[] oneTensor(String type, long numel, long offset, long[] size, long[] stride) {
        PickleBytes e = new PickleBytes().str("w").tensor(type, "0", numel, offset, size, stride);
        return PthReaderViewsTest.stateDict("model", e);
    }

    @Test
    void missingFile() {
        Path f = tmp.resolve("nope.pth");
        assertContains(failure(f, () -> PthReader.read(f)), "file not found");
    }

    @Test
    void directory() {
        assertContains(failure(tmp, () -> PthReader.read(tmp)), "is a directory");
    }

    @Test
    void zeroByteFile() throws Exception {
        Path f = Files.createFile(tmp.resolve("empty.pth"));
        assertContains(failure(f, () -> PthReader.read(f)), "empty file (0 bytes)");
    }

    @Test
    void truncatedFixture() throws Exception {
        byte[] all = Files.readAllBytes(IoFixtures.file("blip_decoder.pth"));
        for (int cut : new int[] {all.length / 2, all.length - 30, 100}) {
            Path f = Files.write(tmp.resolve("cut" + cut + ".pth"), Arrays.copyOf(all, cut));
            assertContains(failure(f, () -> PthReader.read(f)), "truncated or corrupt zip archive");
        }
    }

    @Test
    void garbage() throws Exception {
        byte[] g = new byte[4096];
        new Random(7).nextBytes(g);
        g[0] = 'G';
        Path f = Files.write(tmp.resolve("garbage.pth"), g);
        assertContains(failure(f, () -> PthReader.read(f)), "not a PyTorch checkpoint");
    }

    @Test
    void zipWithoutDataPkl() throws Exception {
        Path f = new TestZip()
                .put("archive/version", "3\n")
                .put("readme.txt", "hi")
                .write(tmp.resolve("nopkl.pth"));
        assertContains(failure(f, () -> PthReader.read(f)), "without '<folder>/data.pkl'", "archive/version");
    }

    @Test
    void missingStorageEntry() throws Exception {
        byte[] pkl = oneTensor("FloatStorage", 2, 0, new long[] {2}, new long[] {1});
        Path f = TestZip.torch("archive", pkl, Map.of()).write(tmp.resolve("nostorage.pth"));
        assertContains(failure(f, () -> PthReader.read(f)), "refers to storage '0'", "no entry 'archive/data/0'");
    }

    @Test
    void storageSmallerThanDeclared() throws Exception {
        byte[] pkl = oneTensor("FloatStorage", 12, 0, new long[] {2}, new long[] {1});
        Path f = TestZip.torch("archive", pkl, Map.of("0", new byte[8])).write(tmp.resolve("small.pth"));
        assertContains(
                failure(f, () -> PthReader.read(f)),
                "storage '0' should hold 12 elements of F32",
                "has only 8 bytes",
                "too small");
    }

    @Test
    void viewPastEndOfStorage() throws Exception {
        byte[] pkl = oneTensor("FloatStorage", 4, 1, new long[] {2, 2}, new long[] {2, 1});
        Path f = TestZip.torch("archive", pkl, Map.of("0", new byte[16])).write(tmp.resolve("view.pth"));
        assertContains(
                failure(f, () -> PthReader.read(f)), "tensor 'w'", "needs 5 elements", "holds only 4", "too small");
    }

    @Test
    void absurdShape() throws Exception {
        long big = 1L << 40;
        byte[] pkl = oneTensor("FloatStorage", 4, 0, new long[] {big, big}, new long[] {big, 1});
        Path f = TestZip.torch("archive", pkl, Map.of("0", new byte[16])).write(tmp.resolve("absurd.pth"));
        assertContains(failure(f, () -> PthReader.read(f)), "tensor 'w'", "absurd shape");
    }

    @Test
    void legacyFormat() throws Exception {
        // protocol 2, LONG1 of the legacy magic number 0x1950a86a20f9469cfc6c, then more pickles
        byte[] legacy = {
            (byte) 0x80,
            2,
            (byte) 0x8a,
            0x0a,
            0x6c,
            (byte) 0xfc,
            (byte) 0x9c,
            0x46,
            (byte) 0xf9,
            0x20,
            0x6a,
            (byte) 0xa8,
            0x50,
            0x19,
            0x2e,
            (byte) 0x80,
            2,
            'M',
            (byte) 0xe9,
            3,
            '.'
        };
        Path f = Files.write(tmp.resolve("legacy.pth"), legacy);
        assertContains(
                failure(f, () -> PthReader.read(f)),
                "legacy (non-zip) PyTorch serialization format",
                "not supported",
                "PyTorch >= 1.6",
                "torch.save");
    }

    @Test
    void safetensorsGivenToPthReader() throws Exception {
        Path f = IoFixtures.file("blip_itm.hf.safetensors");
        assertContains(failure(f, () -> PthReader.read(f)), "safetensors file", "SafeTensors.open");
    }

    @Test
    void torchScriptArchive() throws Exception {
        Path f = TestZip.torch("m", PickleBytes.proto(2).emptyDict().stop().bytes(), Map.of())
                .put("m/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'})
                .put("m/code/__torch__.py", "x")
                .write(tmp.resolve("script.pt"));
        assertContains(failure(f, () -> PthReader.read(f)), "TorchScript");
    }

    @Test
    void refusesPosixSystem() throws Exception {
        byte[] pkl = "\u0080\u0002cposix\nsystem\nq\u0000X\u0002\u0000\u0000\u0000lsq\u0001\u0085q\u0002Rq\u0003."
                .getBytes(StandardCharsets.ISO_8859_1);
        Path f = TestZip.torch("archive", pkl, Map.of()).write(tmp.resolve("evil.pth"));
        String msg = failure(f, () -> PthReader.read(f));
        assertEquals(
                f + ": refusing to load: the pickle asks for global 'posix.system', which is not allowed in a state"
                        + " dict (only tensors and containers are accepted)",
                msg);
    }

    @Test
    void refusesStackGlobalOsSystemAndEval() throws Exception {
        String[][] globals = {
            {"os", "system"},
            {"builtins", "eval"},
            {"subprocess", "Popen"},
            {"nt", "system"},
            {"torch.storage", "_load_from_bytes"},
            {"builtins", "getattr"}
        };
        for (String[] g : globals) {
            byte[] pkl = PickleBytes.proto(4)
                    .stackGlobal(g[0], g[1])
                    .shortStr("echo pwned")
                    .op(0x85)
                    .reduce()
                    .stop()
                    .bytes();
            Path f = TestZip.torch("archive", pkl, Map.of()).write(tmp.resolve(g[1] + ".pth"));
            assertContains(
                    failure(f, () -> PthReader.read(f)),
                    "refusing to load",
                    "global '" + g[0] + "." + g[1] + "'",
                    "not allowed in a state dict");
        }
    }

    @Test
    void refusalInsideAStateDict() throws Exception {
        // a "tensor" whose rebuild function is os.system, nested inside an otherwise valid state dict
        PickleBytes e = new PickleBytes().str("ok").tensor("FloatStorage", "0", 1, 0, new long[] {1}, new long[] {1});
        e.str("evil").global("os", "system").str("rm -rf /").op(0x85).reduce();
        Path f = TestZip.torch("archive", PthReaderViewsTest.stateDict("model", e), Map.of("0", new byte[4]))
                .write(tmp.resolve("nested.pth"));
        assertContains(failure(f, () -> PthReader.read(f)), "global 'os.system'");
    }

    @Test
    void unknownOpcodeInDataPkl() throws Exception {
        byte[] pkl = {(byte) 0x80, 2, '}', (byte) 0xff, '.'};
        Path f = TestZip.torch("archive", pkl, Map.of()).write(tmp.resolve("op.pth"));
        assertContains(
                failure(f, () -> PthReader.read(f)), "archive/data.pkl", "unknown pickle opcode 0xff", "at byte 3");
    }

    @Test
    void truncatedDataPkl() throws Exception {
        byte[] full = oneTensor("FloatStorage", 1, 0, new long[] {1}, new long[] {1});
        Path f = TestZip.torch("archive", Arrays.copyOf(full, full.length / 2), Map.of("0", new byte[4]))
                .write(tmp.resolve("halfpkl.pth"));
        assertContains(failure(f, () -> PthReader.read(f)), "archive/data.pkl");
    }

    @Test
    void notADict() throws Exception {
        Path f = TestZip.torch("archive", PickleBytes.proto(2).op(']').stop().bytes(), Map.of())
                .write(tmp.resolve("list.pth"));
        assertContains(failure(f, () -> PthReader.read(f)), "holds a list", "expected a dict");
    }

    @Test
    void noTensors() throws Exception {
        byte[] pkl = PickleBytes.proto(2)
                .emptyDict()
                .str("epoch")
                .integer(3)
                .setitem()
                .stop()
                .bytes();
        Path f = TestZip.torch("archive", pkl, Map.of()).write(tmp.resolve("none.pth"));
        assertContains(failure(f, () -> PthReader.read(f)), "no tensors found", "[epoch]");
    }

    @Test
    void unknownByteOrder() throws Exception {
        byte[] pkl = oneTensor("FloatStorage", 1, 0, new long[] {1}, new long[] {1});
        Path f = TestZip.torch("archive", pkl, Map.of("0", new byte[4]))
                .put("archive/byteorder", "middle")
                .write(tmp.resolve("bo.pth"));
        assertContains(failure(f, () -> PthReader.read(f)), "unknown byte order 'middle'");
    }

    @Test
    void unsupportedStorageType() throws Exception {
        byte[] pkl = oneTensor("ComplexFloatStorage", 1, 0, new long[] {1}, new long[] {1});
        Path f = TestZip.torch("archive", pkl, Map.of("0", new byte[8])).write(tmp.resolve("complex.pth"));
        assertContains(failure(f, () -> PthReader.read(f)), "unsupported storage type torch.ComplexFloatStorage");
    }

    @Test
    void corruptCentralDirectory() throws Exception {
        byte[] zip = TestZip.torch(
                        "archive",
                        oneTensor("FloatStorage", 1, 0, new long[] {1}, new long[] {1}),
                        Map.of("0", new byte[4]))
                .toBytes();
        // point the end-of-central-directory record's directory offset past the end of the file
        ByteBuffer b = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(zip.length - 22 + 16, zip.length + 1000);
        Path f = Files.write(tmp.resolve("cd.pth"), zip);
        assertContains(failure(f, () -> PthReader.read(f)), "corrupt zip archive", "central directory");
    }

    @Test
    void corruptLocalHeader() throws Exception {
        byte[] zip = TestZip.torch(
                        "archive",
                        oneTensor("FloatStorage", 1, 0, new long[] {1}, new long[] {1}),
                        Map.of("0", new byte[4]))
                .toBytes();
        zip[0] = 'X'; // local header signature of data.pkl
        Path f = Files.write(tmp.resolve("local.pth"), zip);
        assertContains(failure(f, () -> PthReader.read(f)), "corrupt zip archive", "local header", "archive/data.pkl");
    }
}
