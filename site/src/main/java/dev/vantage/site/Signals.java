package dev.vantage.site;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.util.logging.Logger;

/**
 * Operator signals. SIGHUP asks a running site to reload its policy. The JDK's signal API lives in
 * {@code jdk.unsupported}; it is reached reflectively so the build stays free of internal-API warnings, and a JVM
 * without it simply runs without the SIGHUP trigger (file watching and the admin reload still work).
 */
final class Signals {

    private static final Logger LOG = Logger.getLogger(Signals.class.getName());

    private Signals() {
    }

    /** Runs {@code action} on every SIGHUP; returns false when this JVM cannot handle signals. */
    static boolean onHangup(Runnable action) {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            Object signal = signalClass.getConstructor(String.class).newInstance("HUP");
            InvocationHandler invocation = (proxy, method, args) -> {
                if (method.getName().equals("handle")) {
                    action.run();
                    return null;
                }
                return switch (method.getName()) {
                    case "toString" -> "vantage SIGHUP handler";
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> null;
                };
            };
            Object handler = Proxy.newProxyInstance(handlerClass.getClassLoader(), new Class<?>[] {handlerClass},
                    invocation);
            signalClass.getMethod("handle", signalClass, handlerClass).invoke(null, signal, handler);
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warning(() -> "SIGHUP reload unavailable in this JVM (" + e + "); file watching and POST /reload work");
            return false;
        }
    }
}
