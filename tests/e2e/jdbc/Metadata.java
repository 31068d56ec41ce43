// The JDBC metadata calls DBeaver and Metabase make, compiled and run by tests/e2e/test_postgres_clients.py.
// args: JDBC URL, the server's certificate (PEM) to verify it with
import java.sql.*;
import java.util.*;

public class Metadata {
    public static void main(String[] args) throws Exception {
        Properties p = new Properties();
        p.setProperty("user", "analyst");
        p.setProperty("password", "s3cret-pw");
        p.setProperty("sslmode", "verify-full");
        p.setProperty("sslrootcert", args[1]);
        try (Connection c = DriverManager.getConnection(args[0], p)) {
            DatabaseMetaData md = c.getMetaData();
            System.out.println("product " + md.getDatabaseProductName() + " " + md.getDatabaseMajorVersion());
            try (ResultSet rs = md.getSchemas()) {
                while (rs.next()) System.out.println("schema " + rs.getString("TABLE_SCHEM"));
            }
            try (ResultSet rs = md.getTables(null, "warehouse", "%", new String[] {"TABLE"})) {
                while (rs.next()) System.out.println("table " + rs.getString("TABLE_NAME") + " " + rs.getString("REMARKS"));
            }
            try (ResultSet rs = md.getColumns(null, "warehouse", "mart_talent_match", "%")) {
                while (rs.next()) System.out.println("column " + rs.getString("COLUMN_NAME") + " " + rs.getString("TYPE_NAME") + " " + rs.getString("REMARKS"));
            }
            try (ResultSet rs = md.getPrimaryKeys(null, "warehouse", "mart_talent_match")) {
                while (rs.next()) System.out.println("pk " + rs.getString("COLUMN_NAME") + " " + rs.getShort("KEY_SEQ"));
            }
            try (ResultSet rs = md.getImportedKeys(null, "warehouse", "mart_talent_match")) {
                while (rs.next()) System.out.println("fk " + rs.getString("FKCOLUMN_NAME") + " " + rs.getString("PKTABLE_NAME"));
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "select count(*), sum(graduates_supplied) from mart_talent_match where year = ? and survey_date >= ?")) {
                ps.setInt(1, 2024);
                ps.setDate(2, java.sql.Date.valueOf("2024-01-01"));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    System.out.println("query " + rs.getLong(1) + " " + rs.getBigDecimal(2));
                }
            }
        }
    }
}
