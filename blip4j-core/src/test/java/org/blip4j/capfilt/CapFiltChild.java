package org.blip4j.capfilt;

import java.nio.file.Path;
import org.blip4j.Blip;
import org.blip4j.engine.Engine;

/**
 * The pipeline in a child JVM for the kill-and-resume test: {@code CapFiltChild DATA_DIR OUT DELAY_MS} runs CapFilt on
 * the dataset {@link CapFiltData} wrote into DATA_DIR (written
 * there first when absent), sleeping DELAY_MS after each item so that a kill lands mid-run,
 * and prints {@code START <first> <total>}, {@code ITEM <index>}, {@code CHECKPOINT <next>} and {@code DONE}.
 */
public final class CapFiltChild {
    private CapFiltChild() {}

    public static void main(String[] args) throws Exception {
        Path dataDir = Path.of(args[0]);
        Path out = Path.of(args[1]);
        long delay = Long.parseLong(args[2]);
        Engine.setThreads(1);
        if (!java.nio.file.Files.exists(dataDir.resolve("web.json"))) {
            CapFiltData.create(dataDir); // for trying the pipeline by hand
        }
        CapFiltData data = new CapFiltData(
                dataDir,
                dataDir.resolve("web.json"),
                dataDir.resolve("web.jsonl"),
                dataDir.resolve("images"),
                dataDir.resolve("human.json"),
                CapFiltData.fixtureDir().resolve("blip_decoder.pth"),
                CapFiltData.fixtureDir().resolve("blip_itm.pth"),
                CapFiltData.ITEMS,
                null,
                null);
        try (Blip captioner = Blip.load(data.captioner());
                Blip filter = Blip.load(data.filter())) {
            new CapFilt(captioner, filter, data.options()).run(data.web(), data.images(), out, new CapFilt.Listener() {
                @Override
                public void started(long firstItem, long totalItems) {
                    System.out.println("START " + firstItem + " " + totalItems);
                    System.out.flush();
                }

                @Override
                public void itemDone(long index, String image, String error) {
                    System.out.println("ITEM " + index);
                    System.out.flush();
                    try {
                        Thread.sleep(delay);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }

                @Override
                public void checkpoint(long nextItem) {
                    System.out.println("CHECKPOINT " + nextItem);
                    System.out.flush();
                }
            });
        }
        System.out.println("DONE");
        System.out.flush();
    }
}
