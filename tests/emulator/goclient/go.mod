module pulumi-msgraph-membership/tests/goclient

go 1.26
