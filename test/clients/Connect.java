// Connects with the PostgreSQL JDBC driver exactly as a Java service does:
// the URL from DATABASE_JDBC_URL and nothing else. Prints the role and
// whether the session is encrypted; exits 1 with the error otherwise.
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;

public class Connect {
    public static void main(String[] args) {
        try (Connection c = DriverManager.getConnection(System.getenv("DATABASE_JDBC_URL"));
             ResultSet r = c.createStatement().executeQuery(
                 "select current_user as role, ssl from pg_stat_ssl where pid = pg_backend_pid()")) {
            r.next();
            System.out.println(r.getString("role") + " " + r.getBoolean("ssl"));
        } catch (Exception e) {
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            System.err.println("jdbc: " + e.getMessage() + " (" + root + ")");
            System.exit(1);
        }
    }
}
