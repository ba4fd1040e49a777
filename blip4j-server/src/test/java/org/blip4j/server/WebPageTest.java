package org.blip4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.blip4j.Blip;
import org.blip4j.image.RgbImage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The page in a real browser: Debian's chromium driven by chromedriver through Selenium (the driver is given by path,
 * so Selenium Manager never downloads anything). It uploads a generated scene and checks the caption, the answer,
 * the scores and the search thumbnails that appear against the library's results. Skipped only when chromium is
 * missing outside CI; under {@code CI=true} a missing browser fails the test.
 */
class WebPageTest {
    private static final Path CHROMIUM = Path.of(System.getProperty("blip4j.chromium", "/usr/bin/chromium"));
    private static final Path DRIVER = Path.of(System.getProperty("blip4j.chromedriver", "/usr/bin/chromedriver"));
    private static WebDriver driver;

    @BeforeAll
    static void browser() {
        boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER);
        boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
        if (!present) {
            String what = CHROMIUM + " and " + DRIVER + " (apt-get install chromium chromium-driver)";
            if (ci) {
                throw new AssertionError("CI=true but the browser test cannot run: missing " + what);
            }
            Assumptions.abort("no browser: missing " + what);
        }
        System.setProperty("webdriver.chrome.driver", DRIVER.toString());
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(DRIVER.toFile())
                .usingAnyFreePort()
                .build();
        ChromeOptions o = new ChromeOptions();
        o.setBinary(CHROMIUM.toFile());
        o.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-dev-shm-usage",
                "--disable-gpu",
                "--disable-extensions",
                "--window-size=1200,1600");
        driver = new ChromeDriver(service, o);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
    }

    @AfterAll
    static void quit() {
        if (driver != null) {
            driver.quit();
        }
    }

    private static void await(String what, Supplier<Boolean> condition) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (!condition.get()) {
            assertTrue(System.nanoTime() < end, "timed out waiting for " + what);
            Thread.sleep(50);
        }
    }

    private static WebElement id(String id) {
        return driver.findElement(By.id(id));
    }

    private static String doneText(String elementId) throws InterruptedException {
        await(elementId + " to be answered", () -> {
            String st = id(elementId).getAttribute("data-state");
            return "done".equals(st) || "error".equals(st);
        });
        assertEquals(
                "done", id(elementId).getAttribute("data-state"), id(elementId).getText());
        return id(elementId).getText();
    }

    @Test
    void uploadCaptionAskScoreAndSearch() throws Exception {
        BlipServer s = TestServers.shared();
        Scenes.Scene scene = Scenes.all().get(5);
        RgbImage img = TestServers.image(scene);
        driver.get(s.uri().toString());
        await("the model list", () -> id("status").getText().startsWith("Serving:"));
        assertTrue(
                id("status").getText().contains("shapes/caption"), id("status").getText());

        File upload = scene.file().toFile();
        id("file").sendKeys(upload.getAbsolutePath());
        assertEquals(TestServers.blip("shapes/caption").caption(img), doneText("caption"));

        id("question").sendKeys(scene.question());
        id("ask").click();
        assertEquals(TestServers.blip("shapes/vqa").answer(img, scene.question()), doneText("answer"));

        List<String> texts = List.of(scene.caption(), "a cat on a sofa");
        id("texts").sendKeys(String.join("\n", texts));
        id("score").click();
        await(
                "the score table",
                () -> id("scores").isDisplayed()
                        && id("scores").findElements(By.cssSelector("tbody tr")).size() == texts.size());
        Blip ret = TestServers.blip("shapes/retrieval");
        double[] itm = ret.itm(img, texts, Blip.MatchToken.ENC);
        double[] itc = ret.itc(img, texts);
        List<WebElement> rows = id("scores").findElements(By.cssSelector("tbody tr"));
        for (int i = 0; i < texts.size(); i++) {
            List<WebElement> cells = rows.get(i).findElements(By.tagName("td"));
            assertEquals(texts.get(i), cells.get(0).getText());
            assertEquals(
                    String.format(Locale.ROOT, "%.3f", itm[i]), cells.get(1).getText());
            assertEquals(
                    String.format(Locale.ROOT, "%.3f", itc[i]), cells.get(2).getText());
        }

        id("query").sendKeys(Scenes.all().get(3).caption());
        id("search").click();
        int expected = Math.min(8, Scenes.all().size());
        await("search thumbnails", () -> {
            List<WebElement> thumbs = driver.findElements(By.cssSelector("#hits figure img"));
            return thumbs.size() == expected
                    && thumbs.stream().allMatch(t -> {
                        String src = t.getAttribute("src");
                        return src != null
                                && src.startsWith("blob:")
                                && (Boolean) ((ChromeDriver) driver)
                                        .executeScript(
                                                "return arguments[0].complete && arguments[0].naturalWidth > 0", t);
                    });
        });
        String shown = id("last-request").getText();
        assertTrue(
                shown.startsWith("curl -X POST '" + s.uri().toString().replaceAll("/$", "") + "/v1/search/images'"),
                shown);
        assertTrue(shown.contains("-F 'text=" + Scenes.all().get(3).caption() + "'"), shown);
    }
}
