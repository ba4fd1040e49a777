package org.blip4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataLoaderTest {
    private static final int N = 23;

    @TempDir
    Path dir;

    private CaptionDataset dataset;

    @BeforeEach
    void images() throws IOException {
        List<CaptionDataset.Item> items = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            int k = i;
            Path f = DataTestSupport.writePng(
                    dir.resolve("img" + i + ".png"),
                    DataTestSupport.grey(20 + i % 3, 16, (x, y) -> (x * 11 + y * 5 + k * 37) % 256));
            items.add(new CaptionDataset.Item(f.toString(), "caption " + i, i));
        }
        dataset = new CaptionDataset(items, TrainTransform.fineTune(12), org.blip4j.image.ImageLoader.defaults());
    }

    private DataLoader<Batch> loader(Dataset<CaptionDataset.Sample> ds, int workers, int batch, boolean dropLast) {
        return DataLoader.builder(ds, Collate.captions(null, TextEncoding.CAPTION))
                .batchSize(batch)
                .shuffle(true)
                .seed(17)
                .workers(workers)
                .dropLast(dropLast)
                .build();
    }

    private static List<Batch> drain(DataLoader<Batch> loader, int epoch) {
        List<Batch> out = new ArrayList<>();
        try (DataLoader<Batch>.Epoch e = loader.epoch(epoch)) {
            for (Batch b : e) {
                out.add(b);
            }
        }
        return out;
    }

    @Test
    void batchesAreIdenticalForAnyWorkerCount() {
        List<Batch> reference;
        try (DataLoader<Batch> l = loader(dataset, 0, 4, false)) {
            reference = drain(l, 3);
        }
        assertEquals(6, reference.size());
        assertEquals(3, reference.get(5).size());
        int[] seen = reference.stream()
                .flatMapToInt(b -> Arrays.stream(b.indices()))
                .sorted()
                .toArray();
        assertArrayEquals(IntStream.range(0, N).toArray(), seen);
        for (int workers : new int[] {1, 3, 6}) {
            try (DataLoader<Batch> l = loader(dataset, workers, 4, false)) {
                List<Batch> got = drain(l, 3);
                assertEquals(reference.size(), got.size());
                for (int i = 0; i < got.size(); i++) {
                    assertArrayEquals(
                            reference.get(i).indices(), got.get(i).indices(), workers + " workers, batch " + i);
                    assertArrayEquals(reference.get(i).pixels(), got.get(i).pixels(), workers + " workers, batch " + i);
                    assertEquals(
                            reference.get(i).text().strings(), got.get(i).text().strings());
                    assertArrayEquals(reference.get(i).imageIds(), got.get(i).imageIds());
                }
            }
        }
    }

    @Test
    void epochsReshuffleAndAugmentDifferently() {
        try (DataLoader<Batch> l = loader(dataset, 2, 4, false)) {
            int[] o0 = l.order(0);
            int[] o1 = l.order(1);
            assertFalse(Arrays.equals(o0, o1));
            assertArrayEquals(
                    IntStream.range(0, N).toArray(), Arrays.stream(o1).sorted().toArray());
            assertArrayEquals(o0, l.order(0));
            assertArrayEquals(Arrays.copyOf(o0, 4), drain(l, 0).get(0).indices());
            assertNotEquals(Seeds.sample(17, 0, 5), Seeds.sample(17, 1, 5));
        }
        try (DataLoader<Batch> plain = DataLoader.builder(dataset, Collate.captions(null, TextEncoding.CAPTION))
                .batchSize(5)
                .workers(2)
                .build()) {
            assertArrayEquals(IntStream.range(0, N).toArray(), plain.order(4));
        }
    }

    @Test
    void dropLastDropsThePartialBatch() {
        try (DataLoader<Batch> l = loader(dataset, 3, 4, true)) {
            List<Batch> batches = drain(l, 0);
            assertEquals(5, batches.size());
            assertEquals(5, l.batchesPerEpoch());
            batches.forEach(b -> assertEquals(4, b.size()));
            assertEquals(4L * 3 * 12 * 12, batches.get(0).pixels().length);
        }
    }

    @Test
    void corruptAndMissingImagesAreSkippedAndTheBatchRefilled() throws IOException {
        List<CaptionDataset.Item> items = new ArrayList<>(dataset.items());
        Files.write(dir.resolve("img4.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        Files.delete(dir.resolve("img9.png"));
        CaptionDataset broken =
                new CaptionDataset(items, TrainTransform.fineTune(12), org.blip4j.image.ImageLoader.defaults());
        for (int workers : new int[] {0, 4}) {
            try (DataLoader<Batch> l = loader(broken, workers, 4, false)) {
                for (int epoch = 0; epoch < 2; epoch++) {
                    List<Batch> batches;
                    long skippedInEpoch;
                    try (DataLoader<Batch>.Epoch e = l.epoch(epoch)) {
                        batches = new ArrayList<>();
                        e.forEach(batches::add);
                        skippedInEpoch = e.skipped();
                    }
                    assertEquals(2, skippedInEpoch);
                    int[] seen = batches.stream()
                            .flatMapToInt(b -> Arrays.stream(b.indices()))
                            .toArray();
                    assertEquals(N - 2, seen.length);
                    Set<Integer> set = new HashSet<>();
                    Arrays.stream(seen).forEach(set::add);
                    assertFalse(set.contains(4) || set.contains(9));
                    for (int i = 0; i < batches.size() - 1; i++) {
                        assertEquals(4, batches.get(i).size(), "full batches despite skips");
                    }
                    int[] expected = Arrays.stream(l.order(epoch))
                            .filter(i -> i != 4 && i != 9)
                            .toArray();
                    assertArrayEquals(expected, seen);
                }
                assertEquals(4, l.skipped());
            }
        }
    }

    @Test
    void neverBuffersMoreThanThePrefetchBound() throws Exception {
        Dataset<CaptionDataset.Sample> fast = new Dataset<>() {
            @Override
            public int size() {
                return 200;
            }

            @Override
            public CaptionDataset.Sample load(int index, SplittableRandom rng) {
                return new CaptionDataset.Sample(index, new Pixels(1, 1, new float[3]), "c", index);
            }

            @Override
            public String source(int index) {
                return "#" + index;
            }
        };
        try (DataLoader<Batch> l = DataLoader.builder(fast, Collate.captions(null, TextEncoding.CAPTION))
                .batchSize(3)
                .workers(4)
                .prefetchBatches(2)
                .build()) {
            assertEquals(6, l.capacity());
            int count = 0;
            try (DataLoader<Batch>.Epoch e = l.epoch(0)) {
                while (e.hasNext()) {
                    Thread.sleep(2); // a slow consumer lets the workers run ahead as far as they may
                    assertTrue(e.buffered() <= 6, "buffered " + e.buffered());
                    e.next();
                    count++;
                }
            }
            assertEquals(67, count);
            assertTrue(l.maxBuffered() <= 6, "max buffered " + l.maxBuffered());
            assertTrue(l.maxBuffered() >= 3, "workers prefetch: max buffered " + l.maxBuffered());
        }
    }

    @Test
    void closeStopsWorkersMidEpoch() {
        DataLoader<Batch> l = loader(dataset, 4, 2, false);
        DataLoader<Batch>.Epoch e = l.epoch(0);
        assertTrue(e.hasNext());
        e.next();
        DataLoader<Batch>.Epoch second = l.epoch(1); // starting an epoch closes the running one
        assertEquals(0, e.liveWorkers());
        assertFalse(e.hasNext());
        second.next();
        l.close();
        assertEquals(0, second.liveWorkers());
        assertFalse(second.hasNext());
        assertThrows(IllegalStateException.class, () -> l.epoch(2));
        assertTrue(
                Thread.getAllStackTraces().keySet().stream()
                        .noneMatch(t -> t.getName().startsWith("blip4j-data") && t.isAlive()),
                "no worker thread left");
        l.close(); // idempotent
    }

    @Test
    void unexpectedErrorsAbortTheEpoch() {
        Dataset<CaptionDataset.Sample> buggy = new Dataset<>() {
            @Override
            public int size() {
                return 10;
            }

            @Override
            public CaptionDataset.Sample load(int index, SplittableRandom rng) {
                if (index == 5) {
                    throw new IllegalStateException("bug at 5");
                }
                return new CaptionDataset.Sample(index, new Pixels(1, 1, new float[3]), "c", index);
            }

            @Override
            public String source(int index) {
                return "#" + index;
            }
        };
        try (DataLoader<Batch> l = DataLoader.builder(buggy, Collate.captions(null, TextEncoding.CAPTION))
                .batchSize(2)
                .workers(3)
                .build()) {
            DataLoader<Batch>.Epoch e = l.epoch(0);
            e.next();
            e.next();
            DataLoader.LoaderException ex = assertThrows(DataLoader.LoaderException.class, e::next);
            assertTrue(ex.getMessage().contains("sample 5 (#5)"), ex.getMessage());
            assertEquals(0, e.liveWorkers());
        }
    }
}
