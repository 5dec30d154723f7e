// No PostgreSQL password reaches a log line, a CLI error or the status page, whatever form
// of connection string libpq was given (passwords holding '?' were once printed).
#include <gtest/gtest.h>

#include "store/database.hpp"

using commonroom::store::redact_uri;

TEST(RedactUri, DropsThePasswordFromTheUserinfo) {
  EXPECT_EQ(redact_uri("postgresql://cr:s3cret@db.example:5432/commonroom"),
            "postgresql://cr@db.example:5432/commonroom");
  EXPECT_EQ(redact_uri("postgres://cr:s3cret@localhost/commonroom"),
            "postgres://cr@localhost/commonroom");
  EXPECT_EQ(redact_uri("postgresql://cr@localhost/commonroom"),
            "postgresql://cr@localhost/commonroom");
  EXPECT_EQ(redact_uri("postgresql://localhost"), "postgresql://localhost");
  EXPECT_EQ(redact_uri("postgresql://"), "postgresql://");
}

TEST(RedactUri, APasswordHoldingQuestionMarksColonsOrAtSignsIsStillRemoved) {
  // libpq reads the userinfo up to the last '@' before the first '/'.
  EXPECT_EQ(redact_uri("postgresql://cr:pa?ss@db/commonroom"), "postgresql://cr@db/commonroom");
  EXPECT_EQ(redact_uri("postgresql://cr:a:b@c@db/commonroom?sslmode=require"),
            "postgresql://cr@db/commonroom?sslmode=require");
  EXPECT_EQ(redact_uri("postgresql://cr:pa?ss@db"), "postgresql://cr@db");
}

TEST(RedactUri, DropsPasswordQueryParametersAndKeepsTheOthers) {
  EXPECT_EQ(redact_uri("postgresql:///commonroom?host=/run/pg&password=s3cret&sslmode=disable"),
            "postgresql:///commonroom?host=/run/pg&sslmode=disable");
  EXPECT_EQ(redact_uri("postgresql://db/cr?password=s3cret"), "postgresql://db/cr");
  EXPECT_EQ(redact_uri("postgresql://db/cr?sslpassword=k3y&connect_timeout=5"),
            "postgresql://db/cr?connect_timeout=5");
  EXPECT_EQ(redact_uri("postgresql://u:p@[::1]:5432/cr?password=x"),
            "postgresql://u@[::1]:5432/cr");
}

TEST(RedactUri, DropsPasswordsFromKeywordValueStrings) {
  EXPECT_EQ(redact_uri("host=db dbname=cr user=cr password=s3cret"), "host=db dbname=cr user=cr");
  EXPECT_EQ(redact_uri("password=s3cret host=db"), "host=db");
  EXPECT_EQ(redact_uri("host = db password = 'with space and \\' quote' port=5432"),
            "host=db port=5432");
  EXPECT_EQ(redact_uri("host=db password=pa?ss&x sslpassword='k' dbname=cr"), "host=db dbname=cr");
  EXPECT_EQ(redact_uri("dbname=cr"), "dbname=cr");
  EXPECT_EQ(redact_uri(""), "");
}
