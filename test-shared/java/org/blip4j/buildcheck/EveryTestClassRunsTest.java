package org.blip4j.buildcheck;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.platform.commons.annotation.Testable;
import org.junit.platform.commons.support.AnnotationSupport;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * Build check: every compiled test class of this module that holds JUnit test methods ({@code @Test},
 * {@code @ParameterizedTest}, … — anything meta-annotated {@link Testable}) is one that Surefire executes, i.e. its
 * path matches the plugin's includes (by default {@code Test*}, {@code *Test}, {@code *Tests}, {@code *TestCase}) and
 * none of its excludes (by default {@code **}{@code /*$*}, inner classes). A {@code @Nested} class runs with its
 * enclosing class, an abstract class or interface through a concrete subclass that runs. The includes and excludes are
 * read from this module's and the parent's {@code pom.xml}.
 *
 * <p>One source shared by every module with tests (added by build-helper-maven-plugin from {@code test-shared/java}).
 */
class EveryTestClassRunsTest {
    static final List<String> DEFAULT_INCLUDES =
            List.of("**/Test*.java", "**/*Test.java", "**/*Tests.java", "**/*TestCase.java");
    static final List<String> DEFAULT_EXCLUDES = List.of("**/*$*");

    @Test
    void everyClassWithTestMethodsIsExecutedBySurefire() throws Exception {
        Path classes = Path.of(EveryTestClassRunsTest.class
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .toURI());
        Path basedir = classes.getParent().getParent(); // <module>/target/test-classes
        Patterns p = Patterns.read(basedir);
        Map<String, Class<?>> all = new TreeMap<>();
        try (Stream<Path> s = Files.walk(classes)) {
            for (Path f : s.filter(x -> x.toString().endsWith(".class")).toList()) {
                String rel = classes.relativize(f).toString().replace('\\', '/');
                String name = rel.substring(0, rel.length() - ".class".length()).replace('/', '.');
                if (name.endsWith("module-info") || name.endsWith("package-info")) {
                    continue;
                }
                all.put(rel, Class.forName(name, false, EveryTestClassRunsTest.class.getClassLoader()));
            }
        }
        List<String> missed = new ArrayList<>();
        int holders = 0;
        for (Class<?> c : all.values()) {
            if (hasTestMethods(c)) {
                holders++;
                if (!executed(c, all, p)) {
                    missed.add(c.getName());
                }
            }
        }
        assertTrue(holders > 0, "no test classes found under " + classes);
        if (!missed.isEmpty()) {
            fail("test classes that `mvn test` never runs (rename to *Test or fix the surefire includes/excludes in "
                    + basedir.resolve("pom.xml") + "): " + missed + "; includes " + p.includes + ", excludes "
                    + p.excludes);
        }
        System.out.println("[EveryTestClassRunsTest] " + holders + " test classes, all run by surefire ("
                + basedir.getFileName() + ")");
    }

    static boolean hasTestMethods(Class<?> c) {
        for (Method m : c.getDeclaredMethods()) {
            if (AnnotationSupport.isAnnotated(m, Testable.class)) {
                return true;
            }
        }
        return false;
    }

    static boolean executed(Class<?> c, Map<String, Class<?>> all, Patterns p) {
        if (c.isInterface() || Modifier.isAbstract(c.getModifiers())) {
            return all.values().stream()
                    .anyMatch(s -> s != c
                            && c.isAssignableFrom(s)
                            && !s.isInterface()
                            && !Modifier.isAbstract(s.getModifiers())
                            && executed(s, all, p));
        }
        if (c.getEnclosingClass() != null && c.isMemberClass()) {
            return AnnotationSupport.isAnnotated(c, Nested.class)
                    && !Modifier.isStatic(c.getModifiers())
                    && executed(c.getEnclosingClass(), all, p);
        }
        return p.runs(c.getName().replace('.', '/') + ".class");
    }

    /** Surefire's includes and excludes (Ant-style globs on class paths) from the module's and parent's POM. */
    record Patterns(List<String> includes, List<String> excludes, List<Pattern> in, List<Pattern> out) {
        static Patterns read(Path basedir) throws Exception {
            List<String> inc = new ArrayList<>();
            List<String> exc = new ArrayList<>();
            for (Path pom : List.of(basedir.resolve("pom.xml"), basedir.resolve("../pom.xml"))) {
                if (Files.isRegularFile(pom)) {
                    collect(pom, inc, exc);
                }
            }
            List<String> includes = inc.isEmpty() ? DEFAULT_INCLUDES : inc;
            List<String> excludes = exc.isEmpty() ? DEFAULT_EXCLUDES : exc;
            return new Patterns(
                    includes,
                    excludes,
                    includes.stream().map(Patterns::glob).toList(),
                    excludes.stream().map(Patterns::glob).toList());
        }

        boolean runs(String classPath) {
            return in.stream().anyMatch(x -> x.matcher(classPath).matches())
                    && out.stream().noneMatch(x -> x.matcher(classPath).matches());
        }

        static void collect(Path pom, List<String> inc, List<String> exc) throws Exception {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            Document d = f.newDocumentBuilder().parse(pom.toFile());
            NodeList ids = d.getElementsByTagName("artifactId");
            for (int i = 0; i < ids.getLength(); i++) {
                Node id = ids.item(i);
                if (!"maven-surefire-plugin".equals(id.getTextContent().trim())) {
                    continue;
                }
                Element plugin = (Element) id.getParentNode();
                for (String unsupported : List.of("includesFile", "excludesFile", "test", "groups", "excludedGroups")) {
                    if (plugin.getElementsByTagName(unsupported).getLength() > 0) {
                        fail(pom + ": surefire <" + unsupported + "> is set; teach "
                                + EveryTestClassRunsTest.class.getName() + " to read it");
                    }
                }
                texts(plugin, "include", inc, pom);
                texts(plugin, "exclude", exc, pom);
            }
        }

        static void texts(Element plugin, String tag, List<String> out, Path pom) {
            NodeList n = plugin.getElementsByTagName(tag);
            for (int i = 0; i < n.getLength(); i++) {
                String t = n.item(i).getTextContent().trim();
                if (t.startsWith("%regex[") || t.contains("#")) {
                    fail(pom + ": surefire pattern " + t + " is not an Ant glob; teach "
                            + EveryTestClassRunsTest.class.getName() + " to read it");
                }
                out.add(t);
            }
        }

        /** Ant glob on a class file path; Surefire matches {@code .java} patterns against the {@code .class} files. */
        static Pattern glob(String g) {
            String s = g.replace('\\', '/');
            if (s.endsWith(".java")) {
                s = s.substring(0, s.length() - ".java".length()) + ".class";
            }
            StringBuilder r = new StringBuilder();
            for (int i = 0; i < s.length(); i++) {
                char ch = s.charAt(i);
                if (s.startsWith("**/", i)) {
                    r.append("(?:.*/)?");
                    i += 2;
                } else if (s.startsWith("**", i)) {
                    r.append(".*");
                    i += 1;
                } else if (ch == '*') {
                    r.append("[^/]*");
                } else if (ch == '?') {
                    r.append("[^/]");
                } else {
                    r.append(Pattern.quote(String.valueOf(ch)));
                }
            }
            return Pattern.compile(r.toString());
        }
    }

    @Test
    void globsMatchLikeSurefire() {
        Pattern test = Patterns.glob("**/*Test.java");
        assertTrue(test.matcher("org/blip4j/hub/HubTest.class").matches());
        assertTrue(test.matcher("HubTest.class").matches());
        assertTrue(!test.matcher("org/blip4j/hub/HubTestDownloads.class").matches());
        assertTrue(Patterns.glob("**/Test*.java").matcher("a/TestImages.class").matches());
        assertTrue(Patterns.glob("**/*$*").matcher("org/blip4j/A$B.class").matches());
        assertTrue(!Patterns.glob("**/*$*").matcher("org/blip4j/AB.class").matches());
    }
}
